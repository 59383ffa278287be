import { afterAll } from 'vitest';
import { closeTestTallies } from './harness.js';

// A setup file runs before each test file: what the file's startTestTally calls opened is closed after it.
afterAll(closeTestTallies);
