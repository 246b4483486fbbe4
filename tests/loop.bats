#!/usr/bin/env bats
# The closed loop: twin-act's PID drives twin-sim's model through a FIFO,
# so a controller is tested against the twin before it touches a machine.

load helpers

@test "a PID holds the thermal model at its setpoint through a FIFO" {
	cat >pid.json <<'JSON'
{"rules": [{"name": "temp", "asset": "motor", "pid": {"measured": "temp_c", "setpoint": "60",
   "kp": 200, "ki": 1, "kd": 0, "min": 0, "max": 3000, "target": "heater", "field": "P"}}],
 "targets": {"heater": {"fields": {"P": {"min": 0, "max": 3000}}}}}
JSON
	mkfifo loop
	run timeout 60 bash -c 'twin-sim --twin=thermal --plant --duration=2h --every=10s --no-noise --asset=motor <loop \
		| tee states | twin-act --rules=pid.json --arm --audit=trail >loop'
	assert_success
	assert_equal "$(lines states)" 721
	# settled within 0.1 K after the first 20 minutes, and the heater's
	# power where the model's steady state says: (60 - 25) / 0.05 = 700 W
	run bash -c "tail -n +121 states | jq '.values.temp_c' | awk '{ d = \$1 - 60; if (d > 0.1 || d < -0.1) exit 1 }'"
	assert_success
	run bash -c "tail -n 1 states | jq '.values.power_loss_w | . - 700 | fabs < 1'"
	assert_output true
	run twin-act --verify-audit=trail
	assert_success
}

@test "--plant without an answer runs on with its inputs held" {
	run --separate-stderr twin-sim --twin=thermal --plant --duration=1m --every=10s --no-noise </dev/null
	assert_success
	assert_equal "${#lines[@]}" 7
	run --separate-stderr twin-sim --twin=thermal --plant --shadow /dev/null
	assert_failure 2
}
