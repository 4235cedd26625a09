// Worker thread of `tinyforge cgra sweep` (sweep.ts runSweep): runs each (array, strategy) point it is sent
// and posts the point back (or the error's message). Bundled to dist/cgra-sweep-worker.mjs by scripts/build.mjs.
import { parentPort } from 'node:worker_threads';
import { runSweepJob, type SweepJob } from './sweep.ts';

parentPort!.on('message', async (m: { i: number; job: SweepJob }) => {
  try {
    parentPort!.postMessage({ i: m.i, point: await runSweepJob(m.job) });
  } catch (e) {
    parentPort!.postMessage({ i: m.i, error: (e as Error).message ?? String(e) });
  }
});
