/**
 * The redaction corpus of issue 11: at least 100 secret shapes, each in the kind of text it turns up
 * in (logs, env, YAML, JSON, shell history, HTTP headers, kubeconfig, Docker config), and a table of
 * ordinary Kubernetes/SRE text that must stay readable. Not a test file itself: read by
 * `test/domain/redaction-corpus.test.ts`.
 *
 * Fake credentials are assembled at run time (`j(…)`) so that secret scanners do not flag this file;
 * each has the real format of its kind.
 */
import { SECRET_CASES, type SecretCase } from '../llm/secret-samples.ts';

const j = (...parts: string[]): string => parts.join('');
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

const A20 = 'Zx9yW8vU7tS6rQ5pO4nM';
const A36 = 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5';
const HEX32 = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const HEX64 = `${HEX32}0a1b2c3d4e5f60718293a4b5c6d7e8f9`;
const PEM_KEY = j('-----BEGIN ', 'RSA PRIVATE KEY-----\n', 'MIIEowIBAAKCAQEAx7Qm9vWk2TtHs3Ym0a8cE5X1v9kQp6ZbNw4R\n', 'Zm9vYmFyYmF6cXV4\n-----END RSA PRIVATE KEY-----\n');
const RSA_BODY = j('MIIEowIBAAKCAQEAx7Qm9vWk2TtHs3Ym0a8cE5X1v9kQp6ZbNw4R', 'q2Jt8LmN3vB5cX7zA9sD1fG3hJ5kL7pQ9rT1uV3wX5yZ7aB9cD1e');
const PKCS8_BODY = j('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDu');
const OPENSSH_BODY = j('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB', 'AAAAMwAAAAtzc2gtZWQyNTUxOQAAACBjZXJ0aWZpY2F0ZWtleWJvZHk=');
const EC_BODY = j('MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/Pu', 'oAoGCCqGSM49AwEHoUQDQgAE8Zx9yW8vU7tS6rQ5pO4nM3lK2jI1');
const PUTTY_PRIVATE = j('AAAAIFz4Kk0b1Qm9vWk2TtHs3Ym0a8cE5X1v9kQp6ZbNw4Rq2Jt8', 'LmN3vB5c');
const PUTTY = [
  'PuTTY-User-Key-File-3: ssh-ed25519',
  'Encryption: none',
  'Comment: eddsa-key-20240101',
  'Public-Lines: 2',
  'AAAAC3NzaC1lZDI1NTE5AAAAIOSQa1Bbi9ZKlG7nEhSy6zmGmIkXMkkAAAAAAAAAAAAA',
  'AAAAAAAAAAAAAAAAAAAAAAA=',
  'Private-Lines: 1',
  PUTTY_PRIVATE,
  `Private-MAC: ${HEX64}`,
].join('\n');
const TELEGRAM_SECRET = j('AA', 'Fq2UVErCz4I6tq_K1SZFPTOtrKBHBeksoGM');
const TWILIO_SID = j('AC', HEX32);
const TWILIO_TOKEN = j('4c3b2a19', '08f7e6d5c4b3a291807f6e5d');

/** New shapes of issue 11 (the 26 the redactor missed) plus the common ones it names. */
export const MORE_SECRET_CASES: SecretCase[] = [
  // Token prefixes named by the issue.
  { name: 'GitLab runner token', text: `runner token ${j('glrt-', A20, 'xY12')} registered`, secret: j('glrt-', A20), kind: 'gitlab_token' },
  { name: 'GitLab deploy token', text: `docker login -u gitlab+deploy-token-1 ${j('gldt-', A20, 'ab')}`, secret: A20, kind: 'gitlab_token' },
  { name: 'GitLab pipeline trigger token', text: `curl -F token=x ${j('glptt-', HEX32, 'abcd1234')}`, secret: HEX32, kind: 'gitlab_token' },
  { name: 'GitLab runner registration token', text: `--registration-token ${j('GR1348941', A20)}`, secret: A20, kind: 'gitlab_token' },
  { name: 'Slack app-level token', text: `SocketMode with ${j('xapp-', '1-A012B3C4D5E-', '1234567890123-', HEX64)}`, secret: HEX64, kind: 'slack_token' },
  { name: 'Stripe webhook signing secret', text: `stripe endpoint secret is ${j('whsec_', A36)}`, secret: A36, kind: 'stripe_key' },
  { name: 'Stripe live secret key', text: `charge failed with key ${j('sk_', 'live_', A36)}`, secret: A36, kind: 'api_key' },
  { name: 'Stripe restricted key', text: `using ${j('rk_', 'live_', A36)}`, secret: A36, kind: 'api_key' },
  { name: 'HashiCorp Vault service token', text: `vault login ${j('hvs.', 'CAESIJ', A36, 'GicKHGh2cy5')}`, secret: A36, kind: 'vault_token' },
  { name: 'HashiCorp Vault batch token', text: `X-Vault-Request ${j('hvb.', 'AAAAAQJ', A36)}`, secret: A36, kind: 'vault_token' },
  { name: 'npm access token', text: `//registry.npmjs.org/:_authToken ${j('npm_', A36)}`, secret: A36, kind: 'npm_token' },
  { name: 'npm token in .npmrc', text: `//registry.npmjs.org/:_authToken=${j('npm_', A36)}`, secret: A36, kind: 'npm_token' },
  { name: 'PyPI upload token', text: `twine upload -p ${j('pypi-', 'AgEIcHlwaS5vcmcCJD', A36, A20)}`, secret: A36, kind: 'pypi_token' },
  { name: 'SendGrid API key', text: `mail: ${j('SG.', 'ngeVfQFYQlKU0ufo8x5d1A', '.', 'TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr')} rejected`, secret: 'TwL2iGABf9DHoTf', kind: 'sendgrid_key' },
  { name: 'Mailgun API key', text: `api:${j('key-', HEX32)} unauthorized`, secret: HEX32, kind: 'mailgun_key' },
  { name: 'Shopify access token', text: `X-Shopify-Access-Token ${j('shpat_', HEX32)}`, secret: HEX32, kind: 'shopify_token' },
  { name: 'Shopify shared secret', text: `app secret ${j('shpss_', HEX32)}`, secret: HEX32, kind: 'shopify_token' },
  { name: 'DigitalOcean personal token', text: `doctl auth init -t ${j('dop_v1_', HEX64)}`, secret: HEX64, kind: 'digitalocean_token' },
  { name: 'DigitalOcean OAuth token', text: `token ${j('doo_v1_', HEX64)} revoked`, secret: HEX64, kind: 'digitalocean_token' },
  // Twilio.
  { name: 'Twilio auth token after the account SID', text: `curl -u ${TWILIO_SID}:${TWILIO_TOKEN} https://api.twilio.com/2010-04-01/Accounts`, secret: TWILIO_TOKEN, kind: 'twilio_auth_token' },
  { name: 'Twilio auth token in prose', text: `twilio auth token ${TWILIO_TOKEN} was rotated`, secret: TWILIO_TOKEN, kind: 'twilio_auth_token' },
  { name: 'Twilio auth token env', text: `TWILIO_AUTH_TOKEN=${TWILIO_TOKEN}`, secret: TWILIO_TOKEN, kind: 'twilio_auth_token' },
  // Telegram.
  { name: 'Telegram token inside a Bot API URL', text: `POST https://api.telegram.org/bot123456789:${TELEGRAM_SECRET}/sendMessage 429`, secret: TELEGRAM_SECRET, kind: 'telegram_bot_token' },
  { name: 'Telegram token of a 10-digit bot id', text: `TELEGRAM ${j('7012345678:', TELEGRAM_SECRET)}`, secret: TELEGRAM_SECRET, kind: 'telegram_bot_token' },
  // Private keys without PEM armour.
  { name: 'PuTTY private key file', text: `cat id.ppk\n${PUTTY}\n$ exit`, secret: PUTTY_PRIVATE, kind: 'private_key' },
  { name: 'PuTTY private MAC', text: PUTTY, secret: HEX64, kind: 'private_key' },
  { name: 'bare base64 RSA key body', text: `tls.key body:\n${RSA_BODY}\nnext line`, secret: RSA_BODY.slice(16, 48), kind: 'private_key' },
  { name: 'bare base64 PKCS#8 key body', text: `key=${PKCS8_BODY}`, secret: PKCS8_BODY.slice(20, 60), kind: 'private_key' },
  { name: 'bare base64 OpenSSH key body', text: `id_ed25519 ${OPENSSH_BODY}`, secret: OPENSSH_BODY.slice(20, 60), kind: 'private_key' },
  { name: 'bare base64 EC key body', text: `ec key ${EC_BODY}`, secret: EC_BODY.slice(10, 50), kind: 'private_key' },
  { name: 'PGP private key block', text: j('-----BEGIN PGP ', 'PRIVATE KEY BLOCK-----\n\nlQOYBGX', A36, '\n-----END PGP PRIVATE KEY BLOCK-----'), secret: A36, kind: 'private_key' },
  { name: 'encrypted PKCS#8 PEM', text: j('-----BEGIN ENCRYPTED ', 'PRIVATE KEY-----\nMIIFHzBJBgkqhkiG9w0BBQ0w', A36, '\n-----END ENCRYPTED PRIVATE KEY-----'), secret: A36, kind: 'private_key' },
  { name: 'EC PEM in a JSON log', text: JSON.stringify({ msg: 'loaded', key: `-----BEGIN EC PRIVATE KEY-----\n${EC_BODY}\n-----END EC PRIVATE KEY-----` }), secret: EC_BODY.slice(10, 50), kind: 'private_key' },
  // Passwords in assignments and commands.
  { name: 'DB_PASS= env', text: 'DB_PASS=Hunter2pass! started', secret: 'Hunter2pass', kind: 'password' },
  { name: 'SMTP_PASS with quotes', text: 'export SMTP_PASS="mail pass 42"', secret: 'mail pass 42', kind: 'password' },
  { name: 'smtp.pass in properties', text: 'spring.mail.smtp.pass=Sm7pP4ss', secret: 'Sm7pP4ss', kind: 'password' },
  { name: 'REDIS_PWD env', text: 'REDIS_PWD=r3d1sPw', secret: 'r3d1sPw', kind: 'password' },
  { name: 'ENCRYPTION_KEY env', text: 'ENCRYPTION_KEY=0123456789abcdefFEDCBA', secret: '0123456789abcdefFEDCBA', kind: 'api_key' },
  { name: 'STRIPE_SECRET env', text: 'STRIPE_SECRET=whatever-value-99', secret: 'whatever-value-99', kind: 'secret' },
  { name: 'SECRET_KEY_BASE env', text: `SECRET_KEY_BASE=${HEX64}`, secret: HEX64, kind: 'secret' },
  { name: 'JWT_SIGNING_KEY in a ConfigMap', text: 'data:\n  JWT_SIGNING_KEY: "s1gn1ng-k3y-value"\n', secret: 's1gn1ng-k3y-value', kind: 'api_key' },
  { name: 'container env name/value pair (YAML)', text: '        env:\n        - name: DB_PASSWORD\n          value: Sup3rS3cret\n        - name: LOG_LEVEL\n          value: info', secret: 'Sup3rS3cret', kind: 'password' },
  { name: 'container env name/value pair (JSON)', text: '{"name":"API_TOKEN","value":"tok-1234-abcd"}', secret: 'tok-1234-abcd', kind: 'token' },
  { name: 'YAML block scalar password', text: 'stringData:\n  password: |\n    correct horse battery staple\n  username: bob\n', secret: 'correct horse', kind: 'password' },
  { name: 'mysql -p<pw>', text: 'mysql -u root -pS3cretPw -h db.shop.svc shop', secret: 'S3cretPw', kind: 'password' },
  { name: 'mysqldump -p<pw>', text: 'mysqldump -h 10.0.0.5 -u backup -pB4ckup! --all-databases', secret: 'B4ckup', kind: 'password' },
  { name: 'sshpass -p', text: 'sshpass -p Deploy123 ssh deploy@bastion', secret: 'Deploy123', kind: 'password' },
  { name: 'redis-cli -a', text: 'redis-cli -h redis -a R3disAuth! ping', secret: 'R3disAuth', kind: 'password' },
  { name: 'docker login -p', text: 'docker login -u ci -p D0ckerPw registry.example.com', secret: 'D0ckerPw', kind: 'password' },
  { name: 'keytool -storepass', text: 'keytool -list -keystore ks.jks -storepass Ch4ngeIt', secret: 'Ch4ngeIt', kind: 'password' },
  { name: 'openssl -passout pass:', text: 'openssl pkcs12 -export -passout pass:Exp0rtPw -out a.p12', secret: 'Exp0rtPw', kind: 'password' },
  { name: 'curl -u user:password', text: 'curl -u admin:Adm1nPw https://grafana/api/health', secret: 'Adm1nPw', kind: 'password' },
  { name: '--password=', text: 'helm install db --set auth.rootPassword=R00tPw --password=X9y8z7', secret: 'X9y8z7', kind: 'password' },
  { name: 'Go MySQL DSN', text: 'dsn=app:AppPw99@tcp(mysql:3306)/shop?parseTime=true', secret: 'AppPw99', kind: 'url_credentials' },
  { name: 'ADO.NET connection string', text: 'Server=sql;Database=shop;User Id=sa;Password=Sq1Srv!;TrustServerCertificate=True', secret: 'Sq1Srv', kind: 'password' },
  { name: 'JDBC URL password parameter', text: 'jdbc:postgresql://db:5432/shop?user=app&password=JdbcPw1&ssl=true', secret: 'JdbcPw1', kind: 'password' },
  { name: 'redis URL with empty user', text: 'redis://:R3disUrl@redis-master:6379/0', secret: 'R3disUrl', kind: 'url_credentials' },
  { name: 'mongodb+srv URL', text: 'mongodb+srv://app:M0ngoPw@cluster0.abcde.mongodb.net/shop', secret: 'M0ngoPw', kind: 'url_credentials' },
  { name: 'amqp URL', text: 'amqp://guest:Rabb1tPw@rabbitmq:5672/', secret: 'Rabb1tPw', kind: 'url_credentials' },
  // Prose.
  { name: '"passphrase <pw>" in prose', text: 'unlock the key with passphrase Tr0ub4dor&3 before deploying', secret: 'Tr0ub4dor', kind: 'password' },
  { name: '"password is <pw>" in prose', text: 'the admin password is Adm1n!2024, change it', secret: 'Adm1n!2024', kind: 'password' },
  { name: 'passphrase in quotes', text: 'set passphrase "blue sky 42 river"', secret: 'blue sky 42', kind: 'password' },
  // Cookies.
  { name: 'Cookie header', text: 'Cookie: session=s%3Aabc123XYZ.sig; csrftoken=Cs7fT0ken', secret: 'abc123XYZ', kind: 'cookie' },
  { name: 'Set-Cookie header', text: 'Set-Cookie: JSESSIONID=8F3A2B1C9D0E; Path=/; HttpOnly', secret: '8F3A2B1C9D0E', kind: 'cookie' },
  { name: 'cookie in a JSON header map', text: '{"headers":{"cookie":"sid=Zk9xQ2pL7m; theme=dark"}}', secret: 'Zk9xQ2pL7m', kind: 'cookie' },
  { name: 'curl --cookie', text: "curl --cookie 'remember_token=Rm7b3rT0k' https://app/", secret: 'Rm7b3rT0k', kind: 'cookie' },
  // Base64-wrapped secrets.
  { name: 'base64 of password=', text: `data:\n  config: ${b64('password=B4se64Pw\nuser=app\n')}`, secret: b64('password=B4se64Pw\nuser=app\n').slice(0, 16), kind: 'base64_secret' },
  { name: 'base64 of a PEM key (Secret tls.key)', text: `  tls.key: ${b64(PEM_KEY)}`, secret: b64(PEM_KEY).slice(0, 40), kind: 'base64_secret' },
  { name: 'base64 of an AWS key pair', text: `creds ${b64(`aws_access_key_id=${j('AKIA', 'IOSFODNN7EXAMPLE')}\naws_secret_access_key=${j('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY')}\n`)}`, secret: b64('aws_access_key_id=').slice(0, 16), kind: 'base64_secret' },
  { name: 'base64 of a connection URL', text: `DATABASE_URL_B64 ${b64('postgres://app:B64UrlPw@db:5432/app')}`, secret: b64('postgres://app:B64UrlPw@db:5432/app').slice(0, 24), kind: 'base64_secret' },
  // Docker and kube configs.
  { name: '.dockerconfigjson auth', text: `{"auths":{"ghcr.io":{"username":"bot","auth":"${b64('bot:D0ckerAuthPw')}"}}}`, secret: b64('bot:D0ckerAuthPw'), kind: 'docker_auth' },
  { name: '.dockerconfigjson base64 in a Secret', text: `  .dockerconfigjson: ${b64(`{"auths":{"registry.example.com":{"auth":"${b64('ci:R3gPw')}"}}}`)}`, secret: b64(`{"auths":{"registry.example.com":{"auth":"${b64('ci:R3gPw')}"}}}`).slice(0, 32), kind: 'base64_secret' },
  { name: 'docker config identitytoken', text: '{"auths":{"acr.io":{"identitytoken":"eyJ0eXAiOi.Id3nt1ty"}}}', secret: 'Id3nt1ty', kind: 'token' },
  { name: 'kubeconfig client-key-data', text: `users:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJU\n    client-key-data: ${b64(PEM_KEY)}\n`, secret: b64(PEM_KEY).slice(0, 40), kind: 'private_key' },
  { name: 'kubeconfig token', text: 'users:\n- name: ci\n  user:\n    token: kube-t0ken-abcdef123456\n', secret: 'kube-t0ken-abcdef123456', kind: 'token' },
  { name: 'kubeadm bootstrap token', text: 'kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:1234', secret: '0123456789abcdef', kind: 'token' },
  // htpasswd and password hashes.
  { name: 'htpasswd apr1 line', text: 'auth: admin:$apr1$Zx9yW8vU$Rk0bQm9vWk2TtHs3Ym0a8/\n', secret: 'Rk0bQm9vWk2TtHs3Ym0a8', kind: 'password_hash' },
  { name: 'htpasswd bcrypt line', text: 'admin:$2y$05$Zx9yW8vU7tS6rQ5pO4nM3uRk0bQm9vWk2TtHs3Ym0a8cE5X1v9kQp6', secret: 'Zx9yW8vU7tS6rQ5pO4nM3uRk0', kind: 'password_hash' },
  { name: 'htpasswd SHA line', text: 'monitor:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', secret: 'W6ph5Mm5Pz8GgiULbPgzG37mj9g', kind: 'password_hash' },
  { name: 'shadow sha512 hash', text: 'root:$6$rounds=5000$saltsalt$Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE:19000:0:99999:7:::', secret: 'Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE', kind: 'password_hash' },
  { name: 'argon2 hash', text: 'hash=$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE', secret: 'Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE', kind: 'password_hash' },
  // Other common token shapes.
  { name: 'GitLab personal token', text: `PRIVATE-TOKEN ${j('glpat-', A20, 'AB')}`, secret: A20, kind: 'gitlab_token' },
  { name: 'GitHub OAuth token', text: `remote: ${j('gh', 'o_', A36)}`, secret: A36, kind: 'github_token' },
  { name: 'GitHub app installation token', text: `x-access-token:${j('gh', 's_', A36)}`, secret: A36, kind: 'github_token' },
  { name: 'Slack user token', text: `slack ${j('xo', 'xp-', '1234567890-1234567890123-', '1234567890123-', HEX32)}`, secret: HEX32, kind: 'slack_token' },
  { name: 'Discord webhook', text: `post https://discord.com/api/webhooks/123456789012345678/${j('Ab', A36, 'Cd-_', A20)} 204`, secret: A36, kind: 'webhook_url' },
  { name: 'Microsoft Teams webhook', text: `https://acme.webhook.office.com/webhookb2/${j('3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60@', '3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f61/IncomingWebhook/', HEX32, '/3f1c2a9e')}`, secret: HEX32, kind: 'webhook_url' },
  { name: 'Hugging Face token', text: `HF hub login ${j('hf_', 'aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567')}`, secret: 'aBcDeFgHiJkLmNoPqRsTuVwXyZ', kind: 'api_key' },
  { name: 'OpenAI project key', text: `openai ${j('sk-', 'proj-', A36, A20)}`, secret: A36, kind: 'api_key' },
  { name: 'Google OAuth client secret', text: `client ${j('GOCSPX-', 'Zx9yW8vU7tS6rQ5pO4nM3lK2jI1h')}`, secret: 'Zx9yW8vU7tS6rQ5pO4nM3lK2jI1h', kind: 'api_key' },
  { name: 'Docker Hub PAT', text: `docker login -u bot --password-stdin <<< ${j('dckr_', 'pat_', 'Zx9yW8vU7tS6rQ5pO4nM3lK2jI1')}`, secret: 'Zx9yW8vU7tS6rQ5pO4nM3lK2jI1', kind: 'api_key' },
  { name: 'Grafana service account token', text: `grafana ${j('glsa_', A36.slice(0, 32), '_', '0a1b2c3d')}`, secret: A36.slice(0, 32), kind: 'api_key' },
  { name: 'Atlassian API token', text: `jira ${j('ATATT3', 'xFfGF0', A36, A20, '=AB12CD34')}`, secret: A36, kind: 'api_key' },
  { name: 'Tailscale auth key', text: `tailscale up --authkey ${j('tskey-', 'auth-', 'kAbCdE1CNTRL-', A36)}`, secret: A36, kind: 'api_key' },
  { name: 'age secret key', text: j('# created\n', 'AGE-SECRET-KEY-', '1QQPQ9D0KZ7XKRQ5X3CQ4ZT2GN0YQ9VQ7VH0V0SQXQXQXQXQXQXQSAMPLE'), secret: '1QQPQ9D0KZ7XKRQ5X3CQ4', kind: 'api_key' },
  { name: 'Datadog API key env', text: `DD_API_KEY=${HEX32}`, secret: HEX32, kind: 'api_key' },
  { name: 'Postman API key', text: `postman ${j('PMAK-', '0123456789abcdef01234567', '-', HEX32, 'ab')}`, secret: HEX32, kind: 'api_key' },
  { name: 'X-API-Key header', text: 'X-API-Key: 5f2b9c7e-1d3a-4b6c-8e9f-0a1b2c3d4e5f', secret: '5f2b9c7e-1d3a', kind: 'api_key' },
  { name: 'Proxy-Authorization header', text: 'Proxy-Authorization: Basic Ym9iOnByb3h5UHc=', secret: 'Ym9iOnByb3h5UHc=', kind: 'authorization' },
  { name: 'AWS session token', text: `aws_session_token = ${j('IQoJb3JpZ2luX2VjEJr', A36, A36)}`, secret: A36, kind: 'token' },
  { name: 'AWS temporary access key id', text: `creds ${j('ASIA', 'Y34FZKBOKMUTVV7A')}`, secret: j('ASIA', 'Y34FZKBOKMUTVV7A'), kind: 'aws_access_key' },
];

/** Every secret sample: the shared ones of issue 3 and those added for issue 11. */
export const SECRET_CORPUS: SecretCase[] = [...SECRET_CASES, ...MORE_SECRET_CASES];

/**
 * Ordinary text that must come out of redaction unchanged: Kubernetes names, image references,
 * UIDs, resourceVersions, digests, and log lines that talk about tokens and passwords without
 * containing one.
 */
export const ORDINARY_TEXTS: string[] = [
  'pod/api-auth-token-7c9f6d-x2k4q: container api restarted',
  'Back-off restarting failed container token-refresher in pod shop-auth-token-5d8f7c-qz2lm_shop',
  'deployment.apps/secret-store-csi-driver: container secrets-store image registry.k8s.io/csi-secrets-store/driver:v1.4.0',
  'image ghcr.io/acme/token-service:v2.3.1@sha256:764d7d4bf276143fac2fe322fe41593bb36bbd4dbe7fe9a2d94b67acb736eae3',
  'uid: 3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60',
  'metadata: {"resourceVersion":"1234567","uid":"0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9","generation":4}',
  'resourceVersion: "987654321"',
  'level=warn msg="token expired, refreshing" component=oidc',
  'failed to refresh token: context deadline exceeded',
  'E0501 10:15:30.123456 1 authentication.go:73] "Unable to authenticate the request" err="[invalid bearer token, service account token has expired]"',
  'Bearer authentication required for /api/v1/namespaces',
  'pq: password authentication failed for user "app"',
  'ssh: this private key is passphrase protected',
  'error getting credentials: exec: executable aws-iam-authenticator not found',
  '      volumes:\n      - name: creds\n        secret:\n          secretName: db-creds\n          defaultMode: 420',
  "env:\n- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      name: db-creds\n      key: password",
  'automountServiceAccountToken: false',
  'serviceAccountToken:\n  expirationSeconds: 3600\n  path: token',
  'type: kubernetes.io/service-account-token',
  'kubectl create secret generic api-token --from-file=token.txt -n shop',
  'MountVolume.SetUp failed for volume "kube-api-access-x2k4q" : object "shop"/"kube-root-ca.crt" not registered',
  'Readiness probe failed: Get "http://10.42.0.17:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
  'caBundle: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFRREFqQWpNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkK',
  'rollout: ReplicaSet api-7c9f6d5b8d scaled up to 3, revision 12, observedGeneration 12',
  'node ip-10-0-1-5.eu-west-1.compute.internal condition Ready=False since 2024-05-01T10:15:30Z',
  'commit 5f2b9c7e1d3a4b6c8e9f0a1b2c3d4e5f60718293 by ci-bot',
  'trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7',
  'OOMKilled: container keycloak exceeded memory limit 512Mi (key-value store warmup)',
  'alertname=KubePodCrashLooping severity=critical namespace=payments pod=payments-api-6f7d9c-abcde',
  'helm upgrade --install vault hashicorp/vault --set server.ha.enabled=true',
  'password policy: minimum length 12, rotation every 90 days',
];
