# bash completion for twin-plot(1)                         -*- shell-script -*-
#
# Works with the bash-completion package and without it.  The options
# are those of `twin-plot --help` (tests/options.bats checks it).

_twin_plot()
{
    local cur prev opt arg
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

    local opts_arg="--output --terminal --size --title --gnuplot --asset --sensors --kinds --from --to --rejects"
    local opts_noarg="--stats --strict --help --version"

    # Where the argument of an option is being completed: "--opt=ARG",
    # "--opt = ARG" (bash splits at '='), or "--opt ARG" / "-o ARG".
    opt=""
    arg=$cur
    local pre=""   # kept in front of each reply when '=' is not a word break
    if [[ $cur == --*=* ]]; then
        opt=${cur%%=*}
        arg=${cur#*=}
        pre=$opt=
    elif [[ $cur == = && $prev == --* ]]; then
        opt=$prev
        arg=""
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)) &&
        [[ ${COMP_WORDS[COMP_CWORD - 2]} == --* ]]; then
        opt=${COMP_WORDS[COMP_CWORD - 2]}
    else
        case $prev in
        -o | -T | -a | -s | -k) opt=$prev ;;
        --*)
            [[ " $opts_arg " == *" $prev "* ]] && opt=$prev
            ;;
        esac
    fi

    # Is there a "--" before the word being completed?  Then only files.
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return 0
        fi
    done

    local words=""
    case $opt in
    -T | --terminal) words="svg png dumb" ;;
    -k | --kinds)
        # A comma-separated list: complete its last item.
        local done_=""
        [[ $arg == *,* ]] && done_=${arg%,*},
        mapfile -t COMPREPLY < <(compgen -P "$pre$done_" \
            -W "reading state sim residual score forecast rul command alert" -- "${arg##*,}")
        compopt -o nospace 2>/dev/null
        return 0
        ;;
    -o | --output | --rejects)
        [[ -z $pre ]] && compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -P "$pre" -- "$arg")
        return 0
        ;;
    --gnuplot)
        mapfile -t COMPREPLY < <(compgen -c -P "$pre" -- "$arg")
        return 0
        ;;
    --size | --title | -a | --asset | -s | --sensors | --from | --to)
        COMPREPLY=()   # a size, a text, names or a time: nothing to offer
        return 0
        ;;
    esac
    if [[ -n $opt ]]; then
        mapfile -t COMPREPLY < <(compgen -P "$pre" -W "$words" -- "$arg")
        return 0
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts_arg $opts_noarg -o -T -a -s -k -h" -- "$cur")
        return 0
    fi
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
}

complete -F _twin_plot twin-plot
