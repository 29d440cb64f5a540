# Bash completion for kds and the kds-* tools: commands, options, stream names from the store, shard ids
# of a stream, and values of enumerated options. Installed as one file plus a symlink per command name,
# which bash-completion loads on first use.

_kds_store_args() {
  # Pass on a --store (or --endpoint and its companions) given earlier on the command line, so names come
  # from the store or the endpoint being used.
  local i
  for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
    case ${COMP_WORDS[i]} in
      --store | --endpoint | --region | --profile | --ca-bundle) printf '%s\n' "${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}" ;;
    esac
  done
}

# The profiles of the AWS config and credentials files.
_kds_profiles() {
  sed -n 's/^\[profile \(.*\)\]$/\1/p; s/^\[\([^ ]*\)\]$/\1/p' "${AWS_CONFIG_FILE:-$HOME/.aws/config}" \
    "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}" 2>/dev/null | sort -u
}

# Lookups give up after 2 s: an endpoint that does not answer must not hang the shell.
_kds_streams() {
  local -a store
  mapfile -t store < <(_kds_store_args)
  timeout 2 kds-list-streams "${store[@]}" 2>/dev/null
}

_kds_shards() {
  local stream=$1
  local -a store
  mapfile -t store < <(_kds_store_args)
  timeout 2 kds-describe-stream "$stream" "${store[@]}" --output json 2>/dev/null |
    grep -o '"ShardId": "shardId-[0-9]*"' | cut -d'"' -f4
}

# The command names, from the commands list of `kds --help`. The one list of commands is apps/commands.txt
# in the source, compiled into kds; asking the installed kds keeps this file the same for every build and
# always in step with the kds it completes for, with no list here to forget (and `kds --help` is already
# the documented, tested listing, so no hidden option is needed).
_kds_commands() {
  kds --help 2>/dev/null | awk '/^Commands:/ {on = 1; next} on && NF {print $1} !NF && on {exit}'
}

_kds_options() {
  # The long and short options a tool's --help lists.
  "$1" --help 2>/dev/null | grep -oE -- '(^|[ ,])--?[a-zA-Z0-9][a-zA-Z0-9-]*' | tr -d ' ,' | sort -u
}

# The first operand that is not an option: the stream, for tools that take one.
_kds_stream_word() {
  local i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      --store | --stream-name | --shard-id | --iterator-type | --shard-iterator-type | --sequence-number | \
        --starting-sequence-number | --timestamp | --limit | --format | -f | --delimiter | -D | --output | \
        --partition-key | -k | --key-delimiter | -K | --explicit-hash-key | --sync | --encryption-key-file | \
        --lines | -n | --count | --shard-count | --retention-period-hours | --segment-size | --max-bytes | \
        --compression | --new-starting-hash-key | --target-shard-count | --endpoint | --region | --profile | \
        --ca-bundle | --key-id | --mode)
        ((i++)) ;;
      -*) ;;
      *) printf '%s' "$word"; return ;;
    esac
  done
}

_kds_tool() {
  local tool=$1 cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  case $prev in
    --store) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    --encryption-key-file | --ca-bundle) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --endpoint) mapfile -t COMPREPLY < <(compgen -W "aws http:// https://" -- "$cur"); return ;;
    --profile) mapfile -t COMPREPLY < <(compgen -W "$(_kds_profiles)" -- "$cur"); return ;;
    --mode) mapfile -t COMPREPLY < <(compgen -W "provisioned on-demand" -- "$cur"); return ;;
    --stream-name) mapfile -t COMPREPLY < <(compgen -W "$(_kds_streams)" -- "$cur"); return ;;
    --shard-id) mapfile -t COMPREPLY < <(compgen -W "$(_kds_shards "$(_kds_stream_word)")" -- "$cur"); return ;;
    --iterator-type | --shard-iterator-type)
      mapfile -t COMPREPLY < <(compgen -W "TRIM_HORIZON LATEST AT_SEQUENCE_NUMBER AFTER_SEQUENCE_NUMBER AT_TIMESTAMP" -- "$cur")
      return ;;
    --output) mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur"); return ;;
    --sync) mapfile -t COMPREPLY < <(compgen -W "batch interval none" -- "$cur"); return ;;
    --compression) mapfile -t COMPREPLY < <(compgen -W "none zstd zstd:-3 zstd:1 zstd:3 zstd:6" -- "$cur"); return ;;
    --max-bytes) mapfile -t COMPREPLY < <(compgen -W "none" -- "$cur"); return ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_kds_options "$tool")" -- "$cur")
    return
  fi
  local stream
  stream=$(_kds_stream_word)
  case $tool in
    kds-list-streams) return ;;
    kds-put) [[ -n $stream ]] && mapfile -t COMPREPLY < <(compgen -f -- "$cur") && return ;;
    kds-split-shard | kds-merge-shards)
      [[ -n $stream ]] && mapfile -t COMPREPLY < <(compgen -W "$(_kds_shards "$stream")" -- "$cur") && return ;;
    kds-set-compression) [[ -n $stream ]] && mapfile -t COMPREPLY < <(compgen -W "none zstd zstd:-3 zstd:1 zstd:3" -- "$cur") && return ;;
  esac
  if [[ -z $stream || $tool == kds-fsck ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_kds_streams)" -- "$cur")
  fi
}

_kds_command() {
  local tool=${COMP_WORDS[0]##*/}
  _kds_tool "$tool"
}

_kds() {
  local cur=${COMP_WORDS[COMP_CWORD]} i command=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --store) ((i++)) ;;
      -*) ;;
      *) command=${COMP_WORDS[i]}; break ;;
    esac
  done
  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "--store --help --version" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$(_kds_commands) help" -- "$cur")
    fi
    return
  fi
  if [[ $command == help ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_kds_commands)" -- "$cur")
    return
  fi
  # Complete the rest as the kds-COMMAND tool would, with the words shifted past "kds ... COMMAND".
  local -a words=("kds-$command" "${COMP_WORDS[@]:i+1}")
  local cword=$((COMP_CWORD - i))
  COMP_WORDS=("${words[@]}")
  COMP_CWORD=$cword
  _kds_tool "kds-$command"
}

complete -F _kds kds
# Each kds-COMMAND too, by the same list. Without kds on PATH none is registered: the tools' completion
# runs them (for --help and stream names) by name, so it could do nothing there anyway.
mapfile -t _kds_tools < <(_kds_commands)
if ((${#_kds_tools[@]} > 0)); then complete -F _kds_command "${_kds_tools[@]/#/kds-}"; fi
unset _kds_tools
