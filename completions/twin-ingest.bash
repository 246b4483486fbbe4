# bash completion for twin-ingest(1)                       -*- shell-script -*-
#
# Works with the bash-completion package and without it.  The options
# are those of `twin-ingest --help` (tests/options.bats checks it).

# IANA zone names under the zoneinfo directory, for --tz.
_twin_ingest_zones()
{
    local dir=${TZDIR:-/usr/share/zoneinfo}
    {
        echo UTC
        [[ -d $dir ]] && (
            cd -- "$dir" 2>/dev/null || exit 0
            find -L . -type f -name '[A-Z]*' ! -name '*.*' ! -path './posix/*' \
                ! -path './right/*' ! -name SECURITY 2>/dev/null | sed 's|^\./||'
        )
    } | LC_ALL=C sort -u
}

_twin_ingest()
{
    local cur prev opt arg
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

    local opts_arg="--format --delimiter --layout --time-format --tz --asset
        --ts-field --asset-field --sensor-field --value-field --columns
        --rename --unit --topic --since --until --rejects"
    local opts_noarg="--numeric --stamp --replay --follow --lineage --progress
        --no-progress --stats --strict --help --version"

    # Where the argument of an option is being completed: "--opt=ARG",
    # "--opt = ARG" (bash splits at '='), or "--opt ARG" / "-f ARG".
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
        -f | -d | -a) opt=$prev ;;
        --replay) opt="" ;;   # its SPEED must be attached: --replay=SPEED
        --*)
            [[ " ${opts_arg//$'\n'/ } " == *" $prev "* ]] && opt=$prev
            ;;
        esac
    fi

    # Is there a "--" before the word being completed?  Then only files.
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            opt=""
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return 0
        fi
    done

    local words=""
    case $opt in
    -f | --format) words="csv ndjson influx mqtt" ;;
    -d | --delimiter) words=", ; tab" ;;
    --layout) words="wide long" ;;
    --time-format) words="auto epoch epoch_ms epoch_us epoch_ns" ;;
    --tz) words=$(_twin_ingest_zones) ;;
    --topic) words="#/{asset}/{sensor}" ;;
    --replay) words="1 2 10 60" ;;
    --rejects)
        [[ -z $pre ]] && compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -P "$pre" -- "$arg")
        return 0
        ;;
    -a | --asset | --ts-field | --asset-field | --sensor-field | \
        --value-field | --columns | --rename | --unit | --since | --until)
        COMPREPLY=()   # free text: nothing to offer
        return 0
        ;;
    esac
    if [[ -n $opt ]]; then
        words=${words//$'\n'/ }
        mapfile -t COMPREPLY < <(compgen -P "$pre" -W "${words// /$'\n'}" -- "$arg")
        return 0
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts_arg $opts_noarg -f -d -a -h" -- "$cur")
        return 0
    fi
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
}

complete -F _twin_ingest twin-ingest
