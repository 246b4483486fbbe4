#!/usr/bin/python3
"""The thermal model of models/thermal.json in Python, for benchmark D.

    C dT/dt = P - (T - T_amb) / R, integrated from t = 0 over STEPS steps of
    1 s, with C, R, T(0) and the inputs' defaults P and T_amb read from the
    twin description (MODEL, default models/thermal.json of this tree:
    C = 9200, R = 0.05, P = 1000, T_amb = 25, T(0) = 25).

sim_scipy.py solve_ivp STEPS [MODEL]
    scipy.integrate.solve_ivp(method='RK45') held to 1 s steps: first_step
    and max_step 1 s, and tolerances so loose that no step is rejected or
    shortened (the error estimate of a 1 s step of this model is far below
    them).  SciPy has no fixed-step RK4 in solve_ivp; this is its nearest
    peer.  No t_eval and no dense output: sol.t holds one entry a step.

sim_scipy.py rk4 STEPS [MODEL]
    The classical RK4 written out in Python over floats, the loop a SciPy
    user writes for fixed steps (the same right-hand side function as
    solve_ivp's, called four times a step).

sim_scipy.py rk4-numpy STEPS [MODEL]
    The same loop with the state a one-element numpy array, as solve_ivp
    passes it (what comes of reusing solve_ivp's f in a hand-written loop).

Prints one line of key=value fields on standard output: method, steps
(steps taken), nfev (right-hand side evaluations), seconds (wall time of
the integration alone, time.perf_counter, without Python's start and the
imports), t_end, final (T at t_end), err_final (|final - analytic|), and
err_max (the largest |T - analytic| over the steps solve_ivp returns, or
over every (STEPS / 1000)th step of the RK4 loops: the times of twin-sim's
states in benchmark D).
"""
import json
import math
import os
import sys
import time

H = 1.0
METHODS = ("solve_ivp", "rk4", "rk4-numpy")


def load(path):
    global C, R, P, T_AMB, T0
    with open(path) as f:
        m = json.load(f)["model"]
    C = float(m["parameters"]["C"]["value"])
    R = float(m["parameters"]["R"]["value"])
    P = float(m["inputs"]["P"]["default"])
    T_AMB = float(m["inputs"]["T_amb"]["default"])
    T0 = float(m["states"]["T"]["initial"])


def analytic(t):
    return T_AMB + P * R + (T0 - T_AMB - P * R) * math.exp(-t / (R * C))


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in METHODS:
        sys.exit("usage: sim_scipy.py solve_ivp|rk4|rk4-numpy STEPS [MODEL]")
    method, steps = sys.argv[1], int(sys.argv[2])
    here = os.path.dirname(os.path.abspath(__file__))
    load(sys.argv[3] if len(sys.argv) == 4
         else os.path.join(here, "..", "..", "models", "thermal.json"))
    t_end = steps * H
    nfev = [0]

    if method == "solve_ivp":
        import numpy as np
        from scipy.integrate import solve_ivp

        def f(t, y):
            nfev[0] += 1
            return (P - (y - T_AMB) / R) / C

        t0 = time.perf_counter()
        sol = solve_ivp(f, (0.0, t_end), [T0], method="RK45", first_step=H,
                        max_step=H, rtol=1e-2, atol=1e-2)
        secs = time.perf_counter() - t0
        if not sol.success:
            sys.exit("solve_ivp failed: " + sol.message)
        taken = len(sol.t) - 1
        final = float(sol.y[0, -1])
        ana = T_AMB + P * R + (T0 - T_AMB - P * R) * np.exp(-sol.t / (R * C))
        err_max = float(np.max(np.abs(sol.y[0] - ana)))
        nfev = sol.nfev
    else:
        def f(t, y):
            return (P - (y - T_AMB) / R) / C

        if method == "rk4-numpy":
            import numpy as np
            y = np.array([T0])
        else:
            y = T0
        err_max, every = 0.0, max(1, steps // 1000)
        t0 = time.perf_counter()
        for k in range(steps):
            t = k * H
            k1 = f(t, y)
            k2 = f(t + 0.5 * H, y + 0.5 * H * k1)
            k3 = f(t + 0.5 * H, y + 0.5 * H * k2)
            k4 = f(t + H, y + H * k3)
            y = y + H / 6 * (k1 + 2 * (k2 + k3) + k4)
            if (k + 1) % every == 0:
                e = abs(float(y[0] if method == "rk4-numpy" else y)
                        - analytic((k + 1) * H))
                if e > err_max:
                    err_max = e
        secs = time.perf_counter() - t0
        taken, nfev = steps, 4 * steps
        final = float(y[0] if method == "rk4-numpy" else y)

    print("method=%s steps=%d nfev=%d seconds=%.6f t_end=%.17g final=%.17g "
          "err_final=%.3g err_max=%.3g"
          % (method, taken, nfev, secs, t_end, final,
             abs(final - analytic(t_end)), err_max))


if __name__ == "__main__":
    main()
