// The gateway from TypeScript with @ais/client: list the banks, take a consent, read its transactions.
// AIS_API_KEY=sk_… [AIS_URL=http://localhost:3000] [BANK=allstar] node dist/examples/quickstart.js
import {
  consentsCreate,
  consentsGet,
  createClient,
  dataListAccounts,
  dataTransactions,
  providersList,
  syncRunsList,
} from '@ais/client';

const baseUrl = process.env.AIS_URL ?? 'http://localhost:3000';
const client = createClient({ baseUrl, apiKey: process.env.AIS_API_KEY });
const bank = process.env.BANK ?? 'allstar';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const { data: providers } = await providersList({ client, throwOnError: true });
console.log('banks:', providers.data.map((p) => p.id).join(', '));

const { data: consent } = await consentsCreate({
  client,
  throwOnError: true,
  body: { providerId: bank, redirectUri: `${baseUrl}/demo/callback`, state: 'sdk' },
});
console.log(`Open in a browser and approve: ${consent.authorisationUrl}`);

// Wait for the end user, then for the first sync.
while (
  (await consentsGet({ client, throwOnError: true, path: { consentId: consent.id } })).data.status !== 'authorised'
)
  await sleep(1000);
for (;;) {
  const { data: runs } = await syncRunsList({ client, throwOnError: true, path: { consentId: consent.id } });
  if (runs.data.some((r) => r.status === 'succeeded')) break;
  await sleep(1000);
}

const { data: accounts } = await dataListAccounts({ client, throwOnError: true, query: { consentId: consent.id } });
const summary = [];
for (const account of accounts.data) {
  const { data: page } = await dataTransactions({
    client,
    throwOnError: true,
    path: { accountId: account.id },
    query: { limit: 3 },
  });
  summary.push({
    account: account.id,
    transactions: page.data.map((t) => `${t.bookingDate} ${t.amount.amount} ${t.amount.currency}`),
  });
}
console.log(JSON.stringify({ consentId: consent.id, accounts: summary }));
