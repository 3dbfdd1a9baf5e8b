/**
 * Credentials come from the vendors' environment variables or a credentials file — never from
 * argv, never printed. The file must not be readable by others (like ~/.ssh keys).
 *   Alibaba: ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET [/ _SECURITY_TOKEN], or OSS_ACCESS_KEY_ID / _SECRET
 *   Tencent: TENCENTCLOUD_SECRET_ID / _KEY [/ TENCENTCLOUD_SECURITY_TOKEN]
 *   File (YAML): { oss: { accessKeyId, accessKeySecret, securityToken? },
 *                  cos: { secretId, secretKey, securityToken? },
 *                  source-oss: { … } }   (when the source is another OSS account)
 *   UpYun: UPYUN_OPERATOR / UPYUN_PASSWORD, or upyun: { operator, password } in the file
 *   Azure: AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY, or
 *          AZURE_STORAGE_SAS_TOKEN; file: azure: { connectionString | accountName + accountKey | sasToken }
 *                  source-oss: { … },   (when the source is another OSS account)
 *                  s3: { accessKeyId, secretAccessKey, sessionToken? } }
 *   S3: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN], else AWS_PROFILE (or
 *       "default") in AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';

export type OssCredentials = { accessKeyId: string; accessKeySecret: string; securityToken?: string };
export type CosCredentials = { secretId: string; secretKey: string; securityToken?: string };
/** UpYun: an operator authorized on the service, and its password (ossimport srcAccessKey / srcSecretKey). */
export type UpyunCredentials = { operator: string; password: string };
/** Azure Blob (#13): one of a connection string, a shared key, or a SAS token (without "?"). */
export type AzureCredentials = {
  connectionString?: string;
  accountName?: string;
  accountKey?: string;
  sasToken?: string;
};
export type S3Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export type Credentials = {
  oss?: OssCredentials;
  cos?: CosCredentials;
  upyun?: UpyunCredentials;
  azure?: AzureCredentials;
  /** Source OSS account when different from the destination's. */
  sourceOss?: OssCredentials;
  /** An S3 or S3-compatible source. */
  s3?: S3Credentials;
  /** Where each came from, for messages (never the values). */
  origin: { oss?: string; cos?: string; sourceOss?: string; upyun?: string; azure?: string; s3?: string };
  /**
   * Where this job's own definition takes the keys (an ossimport job.cfg: "fill in destAccessKey
   * and destSecretKey in job.cfg"), so a "no credentials" message names the user's own keys.
   */
  hint?: { oss?: string; cos?: string; sourceOss?: string; upyun?: string; azure?: string; s3?: string };
};

const OssCreds = z.strictObject({
  accessKeyId: z.string().min(1),
  accessKeySecret: z.string().min(1),
  securityToken: z.string().optional(),
});
const CosCreds = z.strictObject({
  secretId: z.string().min(1),
  secretKey: z.string().min(1),
  securityToken: z.string().optional(),
});
const UpyunCreds = z.strictObject({ operator: z.string().min(1), password: z.string().min(1) });
const AzureCreds = z
  .strictObject({
    connectionString: z.string().min(1).optional(),
    accountName: z.string().min(1).optional(),
    accountKey: z.string().min(1).optional(),
    sasToken: z.string().min(1).optional(),
  })
  .refine((a) => a.connectionString || a.accountKey || a.sasToken);
/** The Azure variables, first match wins: a connection string, a shared key, a SAS token. */
function azureFromEnv(env: NodeJS.ProcessEnv): { creds: AzureCredentials; origin: string } | undefined {
  if (env.AZURE_STORAGE_CONNECTION_STRING)
    return {
      creds: { connectionString: env.AZURE_STORAGE_CONNECTION_STRING },
      origin: 'AZURE_STORAGE_CONNECTION_STRING',
    };
  const accountName = env.AZURE_STORAGE_ACCOUNT;
  if (env.AZURE_STORAGE_KEY)
    return {
      creds: { accountKey: env.AZURE_STORAGE_KEY, ...(accountName ? { accountName } : {}) },
      origin: 'AZURE_STORAGE_ACCOUNT/_KEY',
    };
  if (env.AZURE_STORAGE_SAS_TOKEN)
    return {
      creds: {
        sasToken: env.AZURE_STORAGE_SAS_TOKEN.replace(/^\?/, ''),
        ...(accountName ? { accountName } : {}),
      },
      origin: 'AZURE_STORAGE_SAS_TOKEN',
    };
  return undefined;
}
const S3Creds = z.strictObject({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().optional(),
});
const CredFile = z.strictObject({
  oss: OssCreds.optional(),
  cos: CosCreds.optional(),
  upyun: UpyunCreds.optional(),
  'source-oss': OssCreds.optional(),
  azure: AzureCreds.optional(),
  s3: S3Creds.optional(),
});

export const DEFAULT_CREDENTIALS_FILE = join(homedir(), '.ossmigrate', 'credentials.yaml');

function fromEnv(env: NodeJS.ProcessEnv): Credentials {
  const c: Credentials = { origin: {} };
  const akId = env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? env.OSS_ACCESS_KEY_ID;
  const akSecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ?? env.OSS_ACCESS_KEY_SECRET;
  if (akId && akSecret) {
    const token = env.ALIBABA_CLOUD_SECURITY_TOKEN ?? env.OSS_SESSION_TOKEN;
    c.oss = { accessKeyId: akId, accessKeySecret: akSecret, ...(token ? { securityToken: token } : {}) };
    c.origin.oss = env.ALIBABA_CLOUD_ACCESS_KEY_ID
      ? 'ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET'
      : 'OSS_ACCESS_KEY_ID/_SECRET';
  }
  if (env.TENCENTCLOUD_SECRET_ID && env.TENCENTCLOUD_SECRET_KEY) {
    const token = env.TENCENTCLOUD_SECURITY_TOKEN ?? env.TENCENTCLOUD_TOKEN;
    c.cos = {
      secretId: env.TENCENTCLOUD_SECRET_ID,
      secretKey: env.TENCENTCLOUD_SECRET_KEY,
      ...(token ? { securityToken: token } : {}),
    };
    c.origin.cos = 'TENCENTCLOUD_SECRET_ID/_KEY';
  }
  if (env.UPYUN_OPERATOR && env.UPYUN_PASSWORD) {
    c.upyun = { operator: env.UPYUN_OPERATOR, password: env.UPYUN_PASSWORD };
    c.origin.upyun = 'UPYUN_OPERATOR/_PASSWORD';
  }
  const az = azureFromEnv(env);
  if (az) [c.azure, c.origin.azure] = [az.creds, az.origin];
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    c.s3 = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
    c.origin.s3 = 'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';
  }
  return c;
}

/**
 * A profile of the AWS shared credentials file (INI: `[name]`, `key = value`, `#`/`;` comments),
 * or undefined when the file or the profile is absent. An explicit AWS_PROFILE that is missing
 * gives the problem, for the "no S3 credentials" message (a job without an S3 source ignores it).
 */
export async function awsProfileCredentials(
  env: NodeJS.ProcessEnv,
): Promise<{ creds: S3Credentials; origin: string } | { problem: string } | undefined> {
  const file = env.AWS_SHARED_CREDENTIALS_FILE ?? join(env.HOME ?? homedir(), '.aws', 'credentials');
  const profile = env.AWS_PROFILE || 'default';
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    if (env.AWS_PROFILE || env.AWS_SHARED_CREDENTIALS_FILE)
      return { problem: `AWS_PROFILE=${profile}: the AWS credentials file ${file} cannot be read` };
    return undefined;
  }
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const h = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (h) {
      current = {};
      sections.set(h[1]!, current);
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && current) current[kv[1]!.toLowerCase()] = kv[2]!;
  }
  const p = sections.get(profile);
  const id = p?.aws_access_key_id;
  const secret = p?.aws_secret_access_key;
  if (!id || !secret) {
    if (env.AWS_PROFILE)
      return {
        problem: `AWS_PROFILE=${profile}: ${file} has no aws_access_key_id / aws_secret_access_key under [${profile}]`,
      };
    return undefined;
  }
  const token = p.aws_session_token;
  return {
    creds: { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) },
    origin: `${file} [${profile}]`,
  };
}

/**
 * Load credentials: the environment wins over the file. `file` defaults to
 * $OSSMIGRATE_CREDENTIALS or ~/.ossmigrate/credentials.yaml (used only if it exists).
 * `env`: the environment as the entry point hands it (no default: nothing below the entry points
 * reads process.env).
 */
export async function loadCredentials(o: { file?: string; env: NodeJS.ProcessEnv }): Promise<Credentials> {
  const env = o.env;
  const creds = fromEnv(env);
  // An explicit AWS_PROFILE is the user's choice for S3 and beats our file; "default" comes last.
  const found = creds.s3 ? undefined : await awsProfileCredentials(env);
  const profile = found && 'creds' in found ? found : undefined;
  if (found && 'problem' in found) creds.hint = { ...creds.hint, s3: found.problem };
  if (profile && env.AWS_PROFILE) {
    creds.s3 = profile.creds;
    creds.origin.s3 = profile.origin;
  }
  const withProfile = (): Credentials => {
    if (!creds.s3 && profile) {
      creds.s3 = profile.creds;
      creds.origin.s3 = profile.origin;
    }
    return creds;
  };
  const explicit = o.file ?? env.OSSMIGRATE_CREDENTIALS;
  const file = explicit ?? DEFAULT_CREDENTIALS_FILE;
  let st: Awaited<ReturnType<typeof stat>> | undefined;
  try {
    st = await stat(file);
  } catch {
    if (explicit)
      throw new ConfigError(
        `credentials file ${file} does not exist`,
        'check the path, or use the environment variables',
      );
    return withProfile();
  }
  if ((st.mode & 0o077) !== 0) {
    throw new ConfigError(
      `credentials file ${file} is readable by other users (mode ${(st.mode & 0o777).toString(8)})`,
      `chmod 600 ${file}`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(
      `credentials file ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`,
      'fix its syntax',
    );
  }
  const parsed = CredFile.safeParse(doc ?? {}, { jitless: true }); // parsed once: see parseJob
  if (!parsed.success) {
    // Never echo values: only the paths of the problems.
    const where = parsed.error.issues.map((i) => i.path.join('.') || '(top level)').join(', ');
    throw new ConfigError(
      `credentials file ${file} is malformed at: ${where}`,
      'expected oss: {accessKeyId, accessKeySecret}, cos: {secretId, secretKey}, s3: {accessKeyId, secretAccessKey}, upyun: {operator, password} and/or azure: {connectionString | accountName, accountKey | sasToken}',
    );
  }
  const f = parsed.data;
  if (!creds.oss && f.oss) {
    creds.oss = f.oss;
    creds.origin.oss = file;
  }
  if (!creds.cos && f.cos) {
    creds.cos = f.cos;
    creds.origin.cos = file;
  }
  if (!creds.upyun && f.upyun) {
    creds.upyun = f.upyun;
    creds.origin.upyun = file;
  }
  if (!creds.azure && f.azure) [creds.azure, creds.origin.azure] = [f.azure, file];
  if (f['source-oss']) {
    creds.sourceOss = f['source-oss'];
    creds.origin.sourceOss = file;
  }
  if (!creds.s3 && f.s3) {
    creds.s3 = f.s3;
    creds.origin.s3 = file;
  }
  return withProfile();
}

/** Values that must never appear in output: used by the logger's redaction and by tests. */
export function secretValues(c: Credentials): string[] {
  return [
    c.oss?.accessKeySecret,
    c.oss?.securityToken,
    c.cos?.secretKey,
    c.cos?.securityToken,
    c.sourceOss?.accessKeySecret,
    c.upyun?.password,
    c.azure?.connectionString,
    c.azure?.accountKey,
    c.azure?.sasToken,
    c.s3?.secretAccessKey,
    c.s3?.sessionToken,
  ].filter((v): v is string => typeof v === 'string' && v.length > 0);
}
