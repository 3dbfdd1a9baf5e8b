/**
 * Every job file the documentation prints is one a user can copy and run: each ```yaml block of
 * README.md and every docs/ page goes through loadJobFile, each ```properties / cfg / ini block (an
 * ossimport job.cfg) through the cfg translator, exactly as `ossmigrate import FILE` reads them.
 * A partial snippet says so in its info string (```yaml snippet) and then only has to parse;
 * ```properties sys is a sys.properties, checked together with a minimal job.cfg.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadJobFile } from '../../runner/config/job.ts';
import { loadOssimportCfg, parseProperties } from '../../runner/config/ossimportCfg.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Block = { file: string; line: number; lang: string; flags: string[]; text: string };

/** Fenced code blocks (``` or ~~~, any indentation the fence has) with their info strings. */
function codeBlocks(file: string, markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^`]*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim().startsWith(fence!) && /^[`~]+\s*$/.test(l.trim())) break;
      body.push(l.startsWith(indent!) ? l.slice(indent!.length) : l);
    }
    const [lang = '', ...flags] = info!.trim().split(/\s+/);
    out.push({ file, line: i + 1, lang: lang.toLowerCase(), flags, text: `${body.join('\n')}\n` });
    i = j;
  }
  return out;
}

const docs = [
  join(ROOT, 'README.md'),
  ...(existsSync(join(ROOT, 'docs'))
    ? readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(ROOT, 'docs', f))
    : []),
];
const blocks = docs.flatMap((f) => codeBlocks(relative(ROOT, f), readFileSync(f, 'utf8')));
const YAML = new Set(['yaml', 'yml']);
const CFG = new Set(['properties', 'cfg', 'ini']);

/** A job.cfg that translates on its own, for checking a sys.properties block. */
const MINIMAL_CFG = `jobName=docs_check
jobType=import
srcType=local
srcPrefix=/data/
destDomain=http://oss-cn-hangzhou.aliyuncs.com
destBucket=docs-check
destAccessKey=id
destSecretKey=secret
`;

describe('the documentation prints valid job files', () => {
  let dir: string;
  let n = 0;
  const CREDENTIALS = [
    'ALIBABA_CLOUD_ACCESS_KEY_ID',
    'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    'TENCENTCLOUD_SECRET_ID',
    'TENCENTCLOUD_SECRET_KEY',
  ];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-docs-'));
    // Printed files carry no keys: credentials come from the environment, as the README says.
    for (const k of CREDENTIALS) process.env[k] = 'docs-check';
  });
  after(async () => {
    for (const k of CREDENTIALS) delete process.env[k];
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, text: string) => {
    const p = join(dir, `${++n}-${name}`);
    await writeFile(p, text);
    return p;
  };

  it('finds the full example job file (docs/job-file.md) among the blocks it checks', () => {
    const jobs = blocks.filter((b) => YAML.has(b.lang) && !b.flags.includes('snippet'));
    assert.ok(
      jobs.some((b) => b.file === join('docs', 'job-file.md') && /^version: 1$/m.test(b.text)),
      'the full example job file is a ```yaml block of docs/job-file.md',
    );
  });

  for (const b of blocks.filter((x) => YAML.has(x.lang) || CFG.has(x.lang))) {
    const where = `${b.file}:${b.line} (\`\`\`${[b.lang, ...b.flags].join(' ')})`;
    const snippet = b.flags.includes('snippet');
    if (YAML.has(b.lang)) {
      it(`${where} ${snippet ? 'parses as YAML' : 'is a valid job file'}`, async () => {
        if (snippet) {
          assert.doesNotThrow(() => parseYaml(b.text), where);
          return;
        }
        await loadJobFile(await file('job.yaml', b.text)).catch((e: Error & { fix?: string }) =>
          assert.fail(`${where} is refused as a job file:\n${e.message}${e.fix ? `\nfix: ${e.fix}` : ''}`),
        );
      });
    } else {
      const sys = b.flags.includes('sys');
      it(`${where} ${snippet ? 'parses' : sys ? 'is a valid sys.properties' : 'is a valid ossimport job.cfg'}`, async () => {
        if (snippet) {
          assert.ok(parseProperties(b.text).size > 0, `${where} holds no key=value line`);
          return;
        }
        const job = sys ? await file('job.cfg', MINIMAL_CFG) : await file('job.cfg', b.text);
        const sysFile = sys ? await file('sys.properties', b.text) : undefined;
        await loadOssimportCfg(job, sysFile).catch((e: Error & { fix?: string }) =>
          assert.fail(
            `${where} is refused by the cfg translator:\n${e.message}${e.fix ? `\nfix: ${e.fix}` : ''}`,
          ),
        );
      });
    }
  }
});

describe('codeBlocks (the extractor the check relies on)', () => {
  it('reads info strings, flags and indented fences; leaves other languages to their owners', () => {
    const md = [
      'text',
      '```yaml snippet',
      'a: 1',
      '```',
      '- item:',
      '  ```properties',
      '  srcType=local',
      '  ```',
      '```sh',
      'npx ossmigrate plan',
      '```',
    ].join('\n');
    assert.deepEqual(codeBlocks('x.md', md), [
      { file: 'x.md', line: 2, lang: 'yaml', flags: ['snippet'], text: 'a: 1\n' },
      { file: 'x.md', line: 6, lang: 'properties', flags: [], text: 'srcType=local\n' },
      { file: 'x.md', line: 9, lang: 'sh', flags: [], text: 'npx ossmigrate plan\n' },
    ]);
  });
});
