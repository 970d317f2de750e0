// Scripted rollout: one canary host first, then the rest in batches; stop at the first failure.
// usage: node rollout.js INVENTORY PLAYBOOK [BATCH_SIZE]   (see README.md next to this file)
import { defaultRunOptions, loadInventory, loadPlaybook, runPlaybook, selectHosts, terminalSink, builtinRolesDir } from 'wheelwright';

const [inventoryFile, playbookFile, size = '10'] = process.argv.slice(2);
if (!inventoryFile || !playbookFile) throw new Error('usage: rollout INVENTORY PLAYBOOK [BATCH_SIZE]');
const playbook = await loadPlaybook(playbookFile, { roleSearchPaths: [builtinRolesDir] });
const inventory = await loadInventory([inventoryFile], { playbookDir: playbook.baseDir });
const hosts = [...new Set(playbook.plays.flatMap((p) => selectHosts(inventory, p.hosts, { baseDir: playbook.baseDir })))];

const [canary, ...rest] = hosts;
const batches: string[][] = canary ? [[canary]] : [];
for (let i = 0; i < rest.length; i += Number(size)) batches.push(rest.slice(i, i + Number(size)));

const show = terminalSink({ verbosity: 0, color: false, write: (s) => process.stdout.write(s) });
for (const [n, batch] of batches.entries()) {
  console.log(`== batch ${n + 1}/${batches.length}: ${batch.join(', ')}`);
  const summary = await runPlaybook({ ...defaultRunOptions(), playbook, inventory, limit: batch.join(':') }, (event) => {
    if (event.type === 'host_result' && event.status === 'failed') console.log(`!! ${event.host} failed at '${event.task}'`);
    show(event);
  });
  if (summary.exitCode !== 0) {
    console.log(`== stopped after batch ${n + 1}: exit ${summary.exitCode}; not touched: ${batches.slice(n + 1).flat().join(', ') || 'none'}`);
    process.exit(summary.exitCode);
  }
}
console.log(`== rolled out to ${hosts.length} hosts`);
