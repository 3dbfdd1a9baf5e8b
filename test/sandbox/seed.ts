/**
 * `--seed demo`: a small but awkward source bucket — sizes from 0 bytes to multipart-sized,
 * nested prefixes, metadata, an archived object, and keys that trip naive tools: unicode,
 * spaces, "+", "%", "//", a trailing "/", a very long name.
 */
import { patternBytes } from './common/blobs.ts';
import type { Emulator, SeedObject } from './common/emulator.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

export type DemoObject = Omit<SeedObject, 'body'> & { size: number; seed: number };

/** The demo objects (deterministic): their keys, sizes and metadata. */
export function demoObjects(now = Date.now()): DemoObject[] {
  const day = 86_400_000;
  const at = (daysAgo: number) => new Date(now - daysAgo * day);
  const out: DemoObject[] = [
    {
      key: 'index.html',
      size: 2 * KiB,
      seed: 1,
      contentType: 'text/html; charset=utf-8',
      headers: { 'cache-control': 'max-age=300' },
      lastModified: at(30),
    },
    {
      key: 'css/site.css',
      size: 14 * KiB,
      seed: 2,
      contentType: 'text/css',
      headers: { 'cache-control': 'max-age=86400' },
      lastModified: at(30),
    },
    {
      key: 'js/app.js',
      size: 96 * KiB,
      seed: 3,
      contentType: 'application/javascript',
      headers: { 'content-encoding': 'identity' },
      lastModified: at(29),
    },
    {
      key: 'downloads/report-2025.pdf',
      size: 700 * KiB,
      seed: 4,
      contentType: 'application/pdf',
      headers: { 'content-disposition': 'attachment; filename="report-2025.pdf"' },
      meta: { department: 'finance', reviewed: 'yes' },
      lastModified: at(200),
    },
    {
      key: 'video/promo.mp4',
      size: 24 * MiB + 123,
      seed: 5,
      contentType: 'video/mp4',
      partSize: 8 * MiB,
      meta: { codec: 'h264' },
      lastModified: at(60),
    },
    {
      key: 'backups/db-2026-11-01.tar.gz',
      size: 12 * MiB,
      seed: 6,
      contentType: 'application/gzip',
      storageClass: 'STANDARD_IA',
      lastModified: at(21),
    },
    { key: 'archive/cold-2019.tar', size: 3 * MiB, seed: 7, storageClass: 'ARCHIVE', lastModified: at(900) },
    { key: 'empty.txt', size: 0, seed: 8, contentType: 'text/plain', lastModified: at(10) },
    { key: 'folder-marker/', size: 0, seed: 9, lastModified: at(10) },
    {
      key: 'unicode/中文/文件.txt',
      size: 3 * KiB,
      seed: 10,
      contentType: 'text/plain; charset=utf-8',
      lastModified: at(5),
    },
    { key: 'unicode/ключ.txt', size: 1 * KiB, seed: 11, lastModified: at(5) },
    { key: 'unicode/😀 emoji.txt', size: 600, seed: 12, lastModified: at(5) },
    { key: 'spaces/a file with spaces.txt', size: 900, seed: 13, lastModified: at(5) },
    { key: 'odd/plus+sign.txt', size: 500, seed: 14, lastModified: at(5) },
    { key: 'odd/percent%25literal.txt', size: 500, seed: 15, lastModified: at(5) },
    { key: 'odd/double//slash.txt', size: 500, seed: 16, lastModified: at(5) },
    { key: "odd/we!rd'(x)*~.bin", size: 500, seed: 17, lastModified: at(5) },
    { key: `long/${'very-long-name-'.repeat(50)}end.txt`, size: 400, seed: 18, lastModified: at(5) },
  ];
  for (let i = 0; i < 60; i++) {
    out.push({
      key: `images/2026/${String(i).padStart(3, '0')}.jpg`,
      size: 8 * KiB + ((i * 7919) % (180 * KiB)),
      seed: 100 + i,
      contentType: 'image/jpeg',
      headers: { 'cache-control': 'public, max-age=31536000' },
      lastModified: at(40 - (i % 30)),
    });
  }
  for (let d = 0; d < 6; d++) {
    for (let i = 0; i < 10; i++) {
      out.push({
        key: `logs/2026-11-${String(10 + d).padStart(2, '0')}/app-${i}.log`,
        size: 300 + i * 97,
        seed: 200 + d * 10 + i,
        contentType: 'text/plain',
        lastModified: at(12 - d),
      });
    }
  }
  return out;
}

export async function seedDemo(emu: Emulator, bucket: string): Promise<DemoObject[]> {
  const objects = demoObjects();
  for (const o of objects) {
    const { size, seed, ...rest } = o;
    await emu.seed(bucket, { ...rest, body: patternBytes(size, seed), size });
  }
  return objects;
}
