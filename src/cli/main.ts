#!/usr/bin/env node
/**
 * Entry point of the `prosa` command (`bin` in package.json). It sets the exit code and
 * never calls `process.exit` on a normal path: a run that left a timer behind would hang,
 * and the tests would see it.
 */
import { main } from './program.js';

process.exitCode = await main(process.argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
