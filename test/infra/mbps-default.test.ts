// `plan --mbps`, `tui --mbps` and `migrate --mbps` size a fleet the Pulumi program then builds: they must assume the
// same per-worker rate as ossmigrate:mbpsPerInstance, and one the workers can reach.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Command } from 'commander';
import { DEFAULTS } from '../../infra/config.ts';
import { register as registerMigrate } from '../../runner/cli/commands/migrate.ts';
import { register as registerPlan } from '../../runner/cli/commands/plan.ts';
import { PAYG_MAX_PUBLIC_MBPS } from '../../runner/core/sizing.ts';
import { register as registerTui } from '../../tui/command.ts';

it('defaults --mbps of plan and tui to the stack default, which is within the pay-as-you-go cap', () => {
  assert.ok(DEFAULTS.mbpsPerInstance <= PAYG_MAX_PUBLIC_MBPS);
  const program = new Command();
  registerPlan(program);
  registerTui(program);
  registerMigrate(program);
  for (const name of ['plan', 'tui', 'migrate']) {
    const cmd = program.commands.find((c) => c.name() === name);
    const opt = cmd?.options.find((o) => o.long === '--mbps');
    assert.equal(opt?.defaultValue, String(DEFAULTS.mbpsPerInstance), `${name} --mbps`);
    assert.match(opt?.description ?? '', /pay-as-you-go/, `${name} --mbps says why`);
  }
});
