# bash completion for twin-predict(1)                      -*- shell-script -*-
#
# Works with the bash-completion package and without it.  The options
# are those of `twin-predict --help` (tests/options.bats checks it).

_twin_predict()
{
    local cur prev opt arg
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

    local opts_arg="--method --threshold --window --train --sensors --variance --components
        --confidence --smooth --statistics --forecast --forecast-method --season --ar-order --forecast-every --level
        --rul-cap --fit --model --shard --rejects"
    local opts_noarg="--alarms-only --no-scores --rul --stats --strict --help --version"

    # Where the argument of an option is being completed: "--opt=ARG",
    # "--opt = ARG" (bash splits at '='), or "--opt ARG" / "-m ARG".
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
        -m) opt=$prev ;;
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

    local words=""
    case $opt in
    -m | --method) words="auto mad cusum likelihood spatial cad pca" ;;
    --forecast-method) words="holt holt-winters ar" ;;
    --statistics) words="t2,q t2 q" ;;
    --rejects | --fit | --model)
        [[ -z $pre ]] && compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -P "$pre" -- "$arg")
        return 0
        ;;
    --threshold | --window | --train | --sensors | --variance | --components | --confidence | --smooth | \
        --forecast | --season | --ar-order | --forecast-every | --level | --rul-cap | --shard)
        COMPREPLY=()   # a number or a list of sensor names: nothing to offer
        return 0
        ;;
    esac
    if [[ -n $opt ]]; then
        mapfile -t COMPREPLY < <(compgen -P "$pre" -W "$words" -- "$arg")
        return 0
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts_arg $opts_noarg -m -h" -- "$cur")
        return 0
    fi
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
}

complete -F _twin_predict twin-predict
