// wsl-utils as oclif imports it: its getPlatform reads only isWsl, on every start, while wsl-utils itself loads
// child_process and more for the rest. isWsl is is-wsl's, which wsl-utils re-exports; powerShellPath (asked on
// Windows and WSL only) comes from wsl-utils, loaded then.
export {default as isWsl} from 'is-wsl'

export async function powerShellPath(...args) {
  return (await import('wsl-utils')).powerShellPath(...args)
}
