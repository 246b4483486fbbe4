# fish completion for twin-predict(1).  The options are those of
# `twin-predict --help` (tests/options.bats checks it).

complete -c twin-predict -s m -l method -x -a 'auto\t"the best on NAB, likelihood (default)" mad\t"robust z-score against the window" cusum\t"two-sided CUSUM of the robust z-score" likelihood\t"anomaly likelihood of the recent mad scores"' -d 'The detector of every series'
complete -c twin-predict -l threshold -x -d 'Alarm at a score of X or more (default 0.9, likelihood 0.4)'
complete -c twin-predict -l window -x -d 'Samples in the rolling window (default 288)'
complete -c twin-predict -l warmup -x -d 'Samples learned before scores are given (default 288)'
complete -c twin-predict -l sensors -x -d 'Score only these sensors (comma-separated)'
complete -c twin-predict -l alarms-only -d 'Write score records only when they alarm'
complete -c twin-predict -l stats -d 'Print counts at the end on stderr'
complete -c twin-predict -l rejects -r -F -d 'Append every rejected line to FILE, verbatim'
complete -c twin-predict -l strict -d 'Stop at the first rejected line'
complete -c twin-predict -s h -l help -d 'Show the help and exit'
complete -c twin-predict -l version -d 'Show the version and exit'
