# bash completion for twin-sim(1)                          -*- shell-script -*-
#
# Works with the bash-completion package and without it.  The options are
# those of `twin-sim --help` (tests/options.bats checks it).

# The names of the models of the library: the *.json of $TWIN_MODELS when
# it is set, else what `twin-sim --list-models` lists ($1 is the command
# being completed, so that bin/twin-sim finds the source tree's models/).
_twin_sim_models()
{
    if [[ -n ${TWIN_MODELS-} ]]; then
        local f
        for f in "$TWIN_MODELS"/*.json; do
            [[ -f $f ]] || continue
            f=${f##*/}
            printf '%s\n' "${f%.json}"
        done
    else
        local cmd=$1
        [[ $cmd == */* || -n $(type -P "$cmd" 2>/dev/null) ]] || cmd=twin-sim
        "$cmd" --list-models 2>/dev/null | while read -r f _; do
            printf '%s\n' "$f"
        done
    fi
}

_twin_sim()
{
    local cur prev opt arg
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

    local opts_arg="--twin --fmu --solver --step --rtol --atol --set --duration
        --every --start --asset --input --fault --seed --assimilate --horizon
        --scenario --fit --fit-out --rejects"
    local opts_noarg="--list-models --states --no-noise --plant --shadow --what-if
        --strict --help --version"

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
        -t | -a) opt=$prev ;;
        --*)
            [[ " ${opts_arg//$'\n'/ } " == *" $prev "* ]] && opt=$prev
            ;;
        esac
    fi

    # After "--fault=KIND:" (bash splits at ':' too): the model's sensor or
    # parameter, nothing to offer.
    if [[ $cur == : || $prev == : ]]; then
        COMPREPLY=()
        return 0
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
    --solver) words="rk4 rkf45 rk8pd bdf" ;;
    --fault)
        # The kind; what follows it (a sensor, a value) is the model's.
        [[ $arg == *:* ]] && { COMPREPLY=(); return 0; }
        compopt -o nospace 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -P "$pre" -W "bias: drift: stuck: spikes: noise: param:" -- "$arg")
        return 0
        ;;
    -t | --twin)
        # A twin description (*.json, through folders) or a model of the
        # library by name.
        [[ -z $pre ]] && compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(
            compgen -P "$pre" -X '!*.json' -f -- "$arg"
            if [[ -z $pre ]]; then
                compgen -d -- "$arg"
            else
                compgen -P "$pre" -S / -d -- "$arg"
            fi
            [[ $arg != */* ]] &&
                compgen -P "$pre" -W "$(_twin_sim_models "${COMP_WORDS[0]}")" -- "$arg"
        )
        [[ -n $pre && ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]] &&
            compopt -o nospace 2>/dev/null
        return 0
        ;;
    --fmu)
        # An FMU (*.fmu), through folders.
        [[ -z $pre ]] && compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(
            compgen -P "$pre" -X '!*.fmu' -f -- "$arg"
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
    --fit-out | --rejects)
        [[ -z $pre ]] && compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -P "$pre" -- "$arg")
        return 0
        ;;
    --step | --rtol | --atol | --set | --duration | --every | --start | \
        -a | --asset | --input | --seed | --assimilate | --horizon | \
        --scenario | --fit)
        COMPREPLY=()   # a duration, a number, a time or a name: nothing to offer
        return 0
        ;;
    esac
    if [[ -n $opt ]]; then
        mapfile -t COMPREPLY < <(compgen -P "$pre" -W "$words" -- "$arg")
        return 0
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts_arg $opts_noarg -t -a -h" -- "$cur")
        return 0
    fi
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
}

complete -F _twin_sim twin-sim
