# fish completion for twin-ingest(1).  The options are those of
# `twin-ingest --help` (tests/options.bats checks it).

function __twin_ingest_zones
    set -l dir /usr/share/zoneinfo
    set -q TZDIR; and test -n "$TZDIR"; and set dir $TZDIR
    echo UTC
    test -d $dir; or return 0
    find -L $dir -type f -name '[A-Z]*' ! -name '*.*' ! -path "$dir/posix/*" \
        ! -path "$dir/right/*" ! -name SECURITY 2>/dev/null | string replace -- "$dir/" ''
end

complete -c twin-ingest -s f -l format -x -a 'csv ndjson influx mqtt' -d 'Input format (default: from each file name)'
complete -c twin-ingest -s d -l delimiter -x -a ', \; tab' -d 'CSV delimiter (default: detected from the header)'
complete -c twin-ingest -l layout -x -a 'wide\t"a column per sensor (default)" long\t"a row per reading"' -d 'CSV layout'
complete -c twin-ingest -l time-format -x -a 'auto epoch epoch_ms epoch_us epoch_ns' -d 'How input time stamps are written'
complete -c twin-ingest -l tz -x -a '(__twin_ingest_zones)' -d 'Time zone of time stamps without an offset'
complete -c twin-ingest -s a -l asset -x -d 'The asset of every reading'
complete -c twin-ingest -l ts-field -x -d 'Column or field of the time stamp'
complete -c twin-ingest -l asset-field -x -d 'Column, field or tag of the asset'
complete -c twin-ingest -l sensor-field -x -d 'Column or field of the sensor name (implies --layout=long)'
complete -c twin-ingest -l value-field -x -d 'Column or field of the value'
complete -c twin-ingest -l columns -x -d 'Keep only these sensors (comma-separated)'
complete -c twin-ingest -l rename -x -d 'Rename sensors: OLD=NEW,...'
complete -c twin-ingest -l unit -x -d 'Give sensors a unit: SENSOR=UNIT,...'
complete -c twin-ingest -l topic -x -a "'#/{asset}/{sensor}'" -d 'MQTT topic pattern: {asset}, {sensor}, + and #'
complete -c twin-ingest -l numeric -d 'Reject values that are not numbers or null'
complete -c twin-ingest -l stamp -d 'Stamp lines that carry no time with the wall clock'
complete -c twin-ingest -l since -x -d 'Drop readings before TIME'
complete -c twin-ingest -l until -x -d 'Drop readings at or after TIME'
# SPEED is optional, so it must be attached: --replay=SPEED.
complete -c twin-ingest -l replay -d 'Pace the output by event time (--replay=SPEED)'
complete -c twin-ingest -l follow -d 'At the end of the last file, wait for more (tail -F)'
complete -c twin-ingest -l lineage -d 'Add "src":"FILE:LINE" to every reading'
complete -c twin-ingest -l progress -d 'Show progress on stderr'
complete -c twin-ingest -l no-progress -d 'Never show progress'
complete -c twin-ingest -l stats -d 'Print a count of lines, readings and rejects at the end'
complete -c twin-ingest -l rejects -r -F -d 'Append every rejected line to FILE, verbatim'
complete -c twin-ingest -l strict -d 'Stop at the first rejected line'
complete -c twin-ingest -s h -l help -d 'Show the help and exit'
complete -c twin-ingest -l version -d 'Show the version and exit'
