// Worker-thread entry: registers tsx in the worker (loader hooks are per thread), then runs the named
// export of a TypeScript module on `workerData.input` and posts back its result.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const mod = await import(workerData.module);
const result = await mod[workerData.export](workerData.input);
parentPort.postMessage(result);
