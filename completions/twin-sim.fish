# fish completion for twin-sim(1).  The options are those of
# `twin-sim --help` (tests/options.bats checks it).

# --twin: the models of the library by name, each with its first
# sentence: the *.json of $TWIN_MODELS when it is set, else what
# `twin-sim --list-models` lists (the command as typed, so that
# bin/twin-sim finds the source tree's models/).  Files come too (-F).
function __twin_sim_models
    if test -n "$TWIN_MODELS"
        for f in $TWIN_MODELS/*.json
            printf '%s\tmodel of the library\n' (basename $f .json)
        end
        return
    end
    set -l cmd (commandline -opc)[1]
    command -q -- $cmd; or set cmd twin-sim
    command $cmd --list-models 2>/dev/null | string replace -r '^(\S+)\s+(.*)$' '$1\t$2'
end

complete -c twin-sim -s t -l twin -r -F -a '(__twin_sim_models)' -d 'Twin description, or a model of the library'
complete -c twin-sim -l fmu -r -F -d 'An FMI 2.0 co-simulation unit (FMU) as the model'
complete -c twin-sim -l list-models -d 'List the models of the library and exit'
complete -c twin-sim -l solver -x -a 'rk4\t"classical Runge-Kutta, fixed steps (default)" rkf45\t"Runge-Kutta-Fehlberg 4(5), adaptive" rk8pd\t"Runge-Kutta Prince-Dormand 8(9), adaptive" bdf\t"implicit BDF, for stiff models"' -d 'The ODE solver'
complete -c twin-sim -l step -x -d 'rk4 step, first step of the adaptive solvers, FMU communication step (default 100ms)'
complete -c twin-sim -l rtol -x -d 'Relative tolerance of the adaptive solvers (default 1e-6)'
complete -c twin-sim -l atol -x -d 'Absolute tolerance (default 1e-9)'
complete -c twin-sim -l set -x -d 'Change a parameter: PARAM=VALUE (free run and what-if)'
complete -c twin-sim -l duration -x -d 'How long to simulate (free run)'
complete -c twin-sim -l every -x -d 'The output interval (default 1s)'
complete -c twin-sim -l start -x -d 'The time of the first output (default 1970-01-01T00:00:00Z)'
complete -c twin-sim -s a -l asset -x -d 'The asset (default sim); when following a stream, only this one'
complete -c twin-sim -l states -d 'Write state records instead of readings'
complete -c twin-sim -l input -x -d 'Drive an input: NAME=V, step:, ramp:, sine:, square:'
complete -c twin-sim -l fault -x -a 'bias:\t"add V: bias:SENSOR=V[@FROM[-TO]]" drift:\t"add V a second: drift:SENSOR=V_PER_S" stuck:\t"repeat the value at the start: stuck:SENSOR" spikes:\t"add +-SIZE with probability PROB: spikes:SENSOR=SIZE,PROB" noise:\t"multiply the noise: noise:SENSOR=FACTOR" param:\t"set a parameter: param:NAME=V"' -d 'Inject a fault'
complete -c twin-sim -l seed -x -d 'Seed of the measurement noise (default 1)'
complete -c twin-sim -l no-noise -d 'No measurement noise'
complete -c twin-sim -l plant -d 'Closed loop: wait for a command answering each state'
complete -c twin-sim -l shadow -d 'Drive each asset by its measured inputs; write sim states and residuals'
complete -c twin-sim -l assimilate -x -d 'With --shadow: nudge the model toward each measurement (0 < GAIN <= 1)'
complete -c twin-sim -l what-if -d 'At the end of the stream, simulate --horizon ahead'
complete -c twin-sim -l horizon -x -d 'How far ahead a what-if runs (default 1h)'
complete -c twin-sim -l scenario -x -d 'The scenario name in its records (default what-if)'
complete -c twin-sim -l fit -x -d 'Calibrate these parameters to the stream: PARAM,...'
complete -c twin-sim -l fit-out -r -F -d 'With --fit: write the calibrated twin description to FILE'
complete -c twin-sim -l rejects -r -F -d 'Append every rejected line to FILE, verbatim'
complete -c twin-sim -l strict -d 'Stop at the first rejected line'
complete -c twin-sim -s h -l help -d 'Show the help and exit'
complete -c twin-sim -l version -d 'Show the version and exit'
