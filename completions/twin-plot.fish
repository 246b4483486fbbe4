# fish completion for twin-plot(1).  The options are those of
# `twin-plot --help` (tests/options.bats checks it).

complete -c twin-plot -s o -l output -r -F -d 'Write the plot to FILE (.svg, .png or .txt)'
complete -c twin-plot -s T -l terminal -x -a 'svg\t"SVG image" png\t"PNG image, drawn with cairo" dumb\t"Text, for a terminal"' -d 'The format'
complete -c twin-plot -l size -x -d 'The whole plot\'s size, WxH pixels (characters for dumb)'
complete -c twin-plot -l title -x -d 'A title over the whole plot'
complete -c twin-plot -l gnuplot -x -a '(__fish_complete_command)' -d 'Run PROG instead of gnuplot'
complete -c twin-plot -s a -l asset -x -d 'Only these assets (comma-separated)'
complete -c twin-plot -s s -l sensors -x -d 'Only these sensors (comma-separated)'
complete -c twin-plot -s k -l kinds -x -a '(__fish_complete_list , "printf \'%s\n\' reading state sim residual score forecast rul command alert")' -d 'Only these kinds of record'
complete -c twin-plot -l from -x -d 'Only records at or after TIME (RFC 3339)'
complete -c twin-plot -l to -x -d 'Only records at or before TIME (RFC 3339)'
complete -c twin-plot -l stats -d 'Print counts at the end on stderr'
complete -c twin-plot -l rejects -r -F -d 'Append every rejected line to FILE, verbatim'
complete -c twin-plot -l strict -d 'Stop at the first rejected line'
complete -c twin-plot -s h -l help -d 'Show the help and exit'
complete -c twin-plot -l version -d 'Show the version and exit'
