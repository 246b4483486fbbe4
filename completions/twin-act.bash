# bash completion for twin-act(1)                          -*- shell-script -*-
#
# Works with the bash-completion package and without it.  The options
# are those of `twin-act --help` (tests/options.bats checks it).

_twin_act()
{
    local cur prev opt arg
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

    local opts_arg="--twin --rules --exec --exec-timeout --exec-retries
        --exec-backoff --audit --verify-audit --state --shard --rejects"
    local opts_noarg="--arm --stats --strict --help --version"

    # Where the argument of an option is being completed: "--opt=ARG",
    # "--opt = ARG" (bash splits at '='), or "--opt ARG" / "-t ARG".
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
        -t | -r | -s) opt=$prev ;;
        --*)
            [[ " ${opts_arg//$'\n'/ } " == *" $prev "* ]] && opt=$prev
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

    case $opt in
    -t | --twin | -r | --rules)
        # A twin description or a rules file: *.json, through folders.
        [[ -z $pre ]] && compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(
            compgen -P "$pre" -X '!*.json' -f -- "$arg"
            if [[ -z $pre ]]; then
                compgen -d -- "$arg"
            else
                compgen -P "$pre" -S / -d -- "$arg"
            fi
        )
        [[ -n $pre && ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]] &&
            compopt -o nospace 2>/dev/null
        return 0
        ;;
    --audit | --verify-audit | -s | --state | --rejects)
        [[ -z $pre ]] && compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -P "$pre" -- "$arg")
        return 0
        ;;
    --exec)
        # A shell command: complete its first word as a command name.
        [[ $arg == *[[:space:]]* ]] && { COMPREPLY=(); return 0; }
        mapfile -t COMPREPLY < <(compgen -c -P "$pre" -- "$arg" | LC_ALL=C sort -u)
        return 0
        ;;
    --exec-timeout | --exec-retries | --exec-backoff | --shard)
        COMPREPLY=()   # a duration, a number or K/N: nothing to offer
        return 0
        ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts_arg $opts_noarg -t -r -s -h" -- "$cur")
        return 0
    fi
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
}

complete -F _twin_act twin-act
