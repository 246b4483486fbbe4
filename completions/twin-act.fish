# fish completion for twin-act(1).  The options are those of
# `twin-act --help` (tests/options.bats checks it).

complete -c twin-act -s t -l twin -r -F -d 'Twin description with rules and targets'
complete -c twin-act -s r -l rules -r -F -d 'Take the rules and targets from FILE instead'
complete -c twin-act -l arm -d 'Commands are for real (default: a dry run, "armed":false)'
complete -c twin-act -l exec -x -a '(__fish_complete_command)' -d 'With --arm, run CMD for every command sent, the record on its stdin'
complete -c twin-act -l exec-timeout -x -d 'Give CMD this long (default 10s)'
complete -c twin-act -l exec-retries -x -d 'Try a failed CMD again N times (default 2)'
complete -c twin-act -l exec-backoff -x -d 'Wait before the first retry, doubled after (default 1s)'
complete -c twin-act -l audit -r -F -d 'Append every decision to FILE, a SHA-256 hash chain'
complete -c twin-act -l verify-audit -r -F -d 'Check the chain of an audit trail and exit'
complete -c twin-act -s s -l state -r -F -d 'Resume from FILE and save to it: a replayed log acts once'
complete -c twin-act -l shard -x -d 'Keep only the assets of shard K of N (K/N, 0 <= K < N)'
complete -c twin-act -l stats -d 'Print counts at the end on stderr'
complete -c twin-act -l rejects -r -F -d 'Append every rejected line to FILE, verbatim'
complete -c twin-act -l strict -d 'Stop at the first rejected line'
complete -c twin-act -s h -l help -d 'Show the help and exit'
complete -c twin-act -l version -d 'Show the version and exit'
