// Test helper run as a child process: writes scalars to an event file, then either exits without
// close() (the exit hook must flush) or reports and waits to be killed with SIGKILL.
//   node event-writer.fixture.js <dir> <count> exit|kill
import { EventFileWriter } from './event-writer.js';

const [dir, count, mode] = process.argv.slice(2);
if (!dir || !count || (mode !== 'exit' && mode !== 'kill')) {
  throw new Error('usage: event-writer.fixture.js <dir> <count> exit|kill');
}
const writer = new EventFileWriter(dir, { flushIntervalMs: 60_000 });
for (let step = 0; step < Number(count); step++) writer.addScalar('loss', 1 / (step + 1), step);
if (mode === 'exit') process.exit(0);
writer.flush();
process.stdout.write('flushed\n');
setInterval(() => {
  // keep writing until killed: the file may end inside a record
  for (let k = 0; k < 50; k++) writer.addScalar('loss', -1, Number(count) + k);
  writer.flush();
}, 1);
