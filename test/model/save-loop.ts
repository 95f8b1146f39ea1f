/**
 * A child process for the kill test: saves checkpoints in a tight loop until killed,
 * printing `saved <step>` after each one. Usage: save-loop.ts <dir> <first step>
 */
import { CheckpointManager } from '../../src-main/model';
import { tinySnapshot } from './fixtures';

const [dir, first] = process.argv.slice(2);
const manager = new CheckpointManager(dir, { keep: 2 });
// ~2 MB per file, so a kill often lands in the middle of a write.
const snapshot = tinySnapshot({ model: { layers: [200] } });
for (let step = Number(first); ; step += 1) {
  snapshot.step = step;
  snapshot.tensors['lstm/0/bias'].data[0] = step;
  await manager.save(snapshot, { best: step % 3 === 0 });
  process.stdout.write(`saved ${step}\n`);
}
