// `node --import ./test/helpers/loaded-modules.mjs`: appends the URL of every module the
// process loads to $LOADED_MODULES, so a test can tell which path bin/run.js took.
import {register} from 'node:module'

if (process.env.LOADED_MODULES) register('./loaded-modules-hooks.mjs', import.meta.url)
