/**
 * Secret samples shared by the redaction table tests and the router tests (which check that none
 * of them reaches a model stub). Not a test file itself.
 *
 * Fake credentials are assembled at run time so that secret scanners do not flag this file;
 * each has the real format of its kind.
 */

const j = (...parts: string[]): string => parts.join('');
const A36 = 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5';
const PEM_BODY = 'MIIEowIBAAKCAQEAx7Qm9vWk2TtHs3Ym0a8cE5X1v9kQp6ZbNw4R';
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\nZm9vYmFyYmF6cXV4\n-----END RSA PRIVATE KEY-----`;
const JWT = j('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', '.', 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ', '.', 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c');
const AWS_ID = j('AKIA', 'IOSFODNN7EXAMPLE');
const AWS_SECRET = j('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY');
const GCP_KEY = j('AIza', 'SyD3x4mPl3K3yV4lu3F0rT3st1ng0123456');
const AZURE_ACCOUNT_KEY = j('Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu', 'Fq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==');
const AZURE_CLIENT_SECRET = j('abc', '8Q~', 'Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE_dC');
const GH_TOKEN = j('gh', 'p_', A36);
const GH_PAT = j('github', '_pat_', '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz');
const SLACK_TOKEN = j('xo', 'xb-', '1234567890-1234567890123-', 'AbCdEfGhIjKlMnOpQrStUvWx');
const SLACK_HOOK = j('https://hooks.slack.com/services/', 'T00000000/B00000000/', 'XXXXXXXXXXXXXXXXXXXXXXXX');
const TELEGRAM = j('123456789', ':AA', 'Fq2UVErCz4I6tq_K1SZFPTOtrKBHBeksoGM');
const ANTHROPIC_KEY = j('sk-', 'ant-', 'api03-', 'Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE');

/** A secret sample: the text, the secret that must disappear, and the expected marker kind. */
export interface SecretCase {
  name: string;
  text: string;
  secret: string;
  kind: string;
}

/** Every secret pattern the redaction must remove. */
export const SECRET_CASES: SecretCase[] = [
  { name: 'PEM RSA private key', text: `key:\n${PEM}\nafter`, secret: PEM_BODY, kind: 'private_key' },
  {
    name: 'PEM key JSON-escaped in a GCP service account',
    text: `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n${PEM_BODY}\\n-----END PRIVATE KEY-----\\n"}`,
    secret: PEM_BODY,
    kind: 'private_key',
  },
  { name: 'unterminated PEM key (cut log)', text: `-----BEGIN OPENSSH PRIVATE KEY-----\n${PEM_BODY}`, secret: PEM_BODY, kind: 'private_key' },
  { name: 'credentials in a postgres URL', text: 'dial postgres://app:S3cr3tPw@db.shop.svc:5432/app failed', secret: 'S3cr3tPw', kind: 'url_credentials' },
  { name: 'credentials in an https URL', text: 'clone https://deploy:t0kenValue9@git.example.com/repo.git', secret: 't0kenValue9', kind: 'url_credentials' },
  { name: 'JWT', text: `session ${JWT} rejected`, secret: JWT.split('.')[1] ?? '', kind: 'jwt' },
  { name: 'Authorization header (Basic)', text: 'Authorization: Basic dXNlcjpwYXNzd29yZA==', secret: 'dXNlcjpwYXNzd29yZA==', kind: 'authorization' },
  { name: 'bearer token', text: 'calling upstream with Bearer abcDEF123456ghiJKL789', secret: 'abcDEF123456ghiJKL789', kind: 'bearer_token' },
  { name: 'password= env', text: 'DB_PASSWORD=hunter2!x next', secret: 'hunter2!x', kind: 'password' },
  { name: 'password: YAML with &', text: 'password: Tr0ub4dor&3', secret: 'Tr0ub4dor', kind: 'password' },
  { name: 'passwd in a query string', text: 'GET /login?user=bob&passwd=Qwerty123&next=/', secret: 'Qwerty123', kind: 'password' },
  { name: '"password" in JSON with spaces', text: '{"user":"bob","password": "correct horse battery"}', secret: 'correct horse', kind: 'password' },
  { name: 'secret=', text: 'loaded secret=s3cr3tv4lue from vault', secret: 's3cr3tv4lue', kind: 'secret' },
  { name: 'client_secret in JSON', text: '{"client_secret":"cs-9f8e7d6c5b4a"}', secret: 'cs-9f8e7d6c5b4a', kind: 'secret' },
  { name: 'token=', text: 'refresh token=r3fr3sh-abc-123 expired', secret: 'r3fr3sh-abc-123', kind: 'token' },
  { name: 'api_key:', text: 'api_key: k-1234567890abcdef', secret: 'k-1234567890abcdef', kind: 'api_key' },
  { name: '--password flag', text: 'exec mysql --password hunter22 -h db', secret: 'hunter22', kind: 'password' },
  { name: 'AWS access key id', text: `aws_access_key_id ${AWS_ID}`, secret: AWS_ID, kind: 'aws_access_key' },
  { name: 'AWS secret key (standalone)', text: `creds ${AWS_ID} ${AWS_SECRET}`, secret: AWS_SECRET, kind: 'aws_secret_key' },
  { name: 'AWS secret key (key-value)', text: `aws_secret_access_key = ${AWS_SECRET}`, secret: AWS_SECRET, kind: 'aws_secret_key' },
  { name: 'GCP API key', text: `maps?key=${GCP_KEY}`, secret: GCP_KEY, kind: 'gcp_api_key' },
  { name: 'GCP OAuth token', text: 'token ya29.a0AfH6SMBx3Yq-long_oauth_Token_value_123', secret: 'a0AfH6SMBx3Yq-long_oauth', kind: 'gcp_oauth_token' },
  {
    name: 'Azure storage connection string',
    text: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${AZURE_ACCOUNT_KEY};EndpointSuffix=core.windows.net`,
    secret: AZURE_ACCOUNT_KEY.slice(0, 30),
    kind: 'azure_key',
  },
  { name: 'Azure SAS signature', text: 'https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=abcdEFGH1234%2Bxyz%3D', secret: 'abcdEFGH1234', kind: 'azure_key' },
  { name: 'Azure AD client secret', text: `AZURE_CLIENT_SECRET ${AZURE_CLIENT_SECRET}`, secret: AZURE_CLIENT_SECRET, kind: 'azure_client_secret' },
  { name: 'GitHub token', text: `remote: ${GH_TOKEN} invalid`, secret: GH_TOKEN, kind: 'github_token' },
  { name: 'GitHub fine-grained PAT', text: `using ${GH_PAT}`, secret: GH_PAT, kind: 'github_token' },
  { name: 'Slack token', text: `slack client ${SLACK_TOKEN}`, secret: SLACK_TOKEN, kind: 'slack_token' },
  { name: 'Slack webhook', text: `post to ${SLACK_HOOK} failed`, secret: 'XXXXXXXXXXXXXXXXXXXXXXXX', kind: 'slack_webhook' },
  { name: 'Telegram bot token', text: `bot ${TELEGRAM} started`, secret: TELEGRAM, kind: 'telegram_bot_token' },
  { name: 'Anthropic API key', text: `ANTHROPIC ${ANTHROPIC_KEY}`, secret: ANTHROPIC_KEY, kind: 'api_key' },
  { name: 'e-mail address', text: 'owner jane.doe+oncall@example.co.uk paged', secret: 'jane.doe', kind: 'email' },
];
