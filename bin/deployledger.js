#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), on Node 20 and 24 alike.
import { register } from 'tsx/esm/api';

register();
await import('../server/cli.ts');
