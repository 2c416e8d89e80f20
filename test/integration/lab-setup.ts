/**
 * Vitest global setup: one real swarm (3 managers + 2 spare nodes) per run.
 * Under CI=true a lab that can't start fails the run; elsewhere the
 * integration tests are skipped with a loud reason.
 */
import type { TestProject } from 'vitest/node';
import { labProblem, labSh } from './lab.js';

declare module 'vitest' {
  export interface ProvidedContext {
    labProblem: string;
  }
}

export default function setup(project: TestProject) {
  const problem = labProblem();
  if (problem) {
    if (process.env.CI === 'true') throw new Error(`CI=true but the integration lab cannot run: ${problem}`);
    console.warn(`\n*** integration tests SKIPPED: ${problem} ***\n`);
    project.provide('labProblem', problem);
    return;
  }
  project.provide('labProblem', '');
  const started = Date.now();
  labSh('up', '--nodes', '5', '--managers', '3');
  console.log(`swarm lab up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return () => {
    if (process.env.SWARM_LAB_KEEP !== '1') labSh('down');
  };
}
