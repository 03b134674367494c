// The resolve hook behind loaded-modules.mjs (it runs on the loader's own thread).
import {appendFileSync} from 'node:fs'

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(process.env.LOADED_MODULES, `${result.url}\n`)
  return result
}
