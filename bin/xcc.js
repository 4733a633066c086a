#!/usr/bin/env node
import { runMain } from '../dist/xcc.js';

await runMain(process.argv.slice(2));
