// A bash completion script built from the commands' own flag definitions:
// commands, every flag (with --no- forms), the values of option flags, the
// host's interfaces after -i, and file names after -r. oclif's autocomplete
// plugin completes no values in bash and leaves out --no- flags.

export interface CompletionFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  options?: readonly string[]
  allowNo?: boolean
  hidden?: boolean
}

export interface CompletionCommand {
  id: string
  flags: CompletionFlag[]
}

/** Flags whose values are interface names, and files. */
const INTERFACE_FLAGS = new Set(['interface'])
const FILE_FLAGS = new Set(['read'])

const quoteWords = (words: readonly string[]) => words.join(' ').replaceAll(/[^\w .:/+=-]/g, '')

/** The words that name a flag: --name, -c, and --no-name where it can be turned off. */
function flagWords(flag: CompletionFlag): string[] {
  const words = [`--${flag.name}`]
  if (flag.char) words.push(`-${flag.char}`)
  if (flag.type === 'boolean' && flag.allowNo) words.push(`--no-${flag.name}`)
  return words
}

/** What follows a flag that takes a value: a `compgen` call, or nothing to offer. */
function valueCompletion(flag: CompletionFlag): string {
  if (INTERFACE_FLAGS.has(flag.name)) return 'COMPREPLY=($(compgen -W "any $(ls /sys/class/net 2>/dev/null)" -- "$cur"))'
  if (FILE_FLAGS.has(flag.name)) return 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
  if (flag.options?.length) return `COMPREPLY=($(compgen -W "${quoteWords(flag.options)}" -- "$cur"))`
  return 'COMPREPLY=()'
}

/** The script `sockwatch completion bash` prints; `bin` is the command's name. */
export function bashCompletion(bin: string, commands: readonly CompletionCommand[]): string {
  const fn = `_${bin.replaceAll(/\W/g, '_')}_complete`
  const ids = commands.map((c) => c.id.replaceAll(':', ' '))
  const valueCases: string[] = []
  const flagCases: string[] = []
  for (const command of commands) {
    const visible = command.flags.filter((f) => !f.hidden)
    const id = command.id.replaceAll(':', ' ')
    for (const flag of visible.filter((f) => f.type === 'option')) {
      const names = [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : [])].map((n) => `"${id} ${n}"`).join('|')
      valueCases.push(`    ${names}) ${valueCompletion(flag)}; return ;;`)
    }
    flagCases.push(`    "${id}") words="${quoteWords([...visible.flatMap(flagWords), '--help'])}" ;;`)
  }
  return `# bash completion for ${bin}: source <(${bin} completion bash)
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd=\${COMP_WORDS[1]} words
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${quoteWords(ids)}" -- "$cur"))
    return
  fi
  case "$cmd $prev" in
${valueCases.join('\n')}
  esac
  case "$cur" in
    -*) ;;
    *) COMPREPLY=(); return ;;
  esac
  case "$cmd" in
${flagCases.join('\n')}
    *) words="--help" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F ${fn} ${bin}
`
}
