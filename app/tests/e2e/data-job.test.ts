// A job on your data from the app: the digits model and its 450 test digits read and
// checked in the browser, uploaded to the data plane with the wallet's signed requests,
// an mlp-i8 job posted and run by the network, its output downloaded, checked against
// its hash and the job's Merkle root, and its predicted classes charted; and a batch of
// the wrong dtype refused, with its named error, before anything is paid.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWallet, launch, openApp, screenshot, settledResult, type Browser } from './helpers';

const digits = (name: string) => new URL(`../../../examples/digits/${name}`, import.meta.url).pathname;

/** How many of the digits the model predicts as each class (examples/digits/expected_predictions.npy). */
function expectedCounts(): number[] {
  const bytes = readFileSync(digits('expected_predictions.npy'));
  const headerLength = bytes.readUInt16LE(8);
  const counts = new Array<number>(10).fill(0);
  for (const c of bytes.subarray(10 + headerLength)) counts[c]! += 1;
  return counts;
}

describe('a job on your data', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('refuses a batch of the wrong dtype, dropped on the form, before anything is paid', async () => {
    const page = await openApp(browser, { path: '/post' });
    await connectWallet(page);
    await page.getByTestId('kind-tensor').check();
    await page.getByTestId('tensor-kernel').selectOption('mlp-i8');
    await page.getByTestId('tensor-file-0').setInputFiles(digits('model.safetensors'));
    await page.waitForSelector('[data-testid="tensor-slot-0"][data-state="ready"]');
    expect(await page.getByTestId('tensor-info-0').innerText()).toMatch(/ignis-mlp-i8, 2 layers: 64 → 64 → 10[\s\S]*layers\.0\.weight I8 \[64, 64\]/);

    // int32 logits dropped where the int8 batch goes.
    const logits = [...readFileSync(digits('expected_logits.npy'))];
    const dataTransfer = await page.evaluateHandle((bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'batch.npy'));
      return transfer;
    }, logits);
    await page.getByTestId('tensor-slot-1').dispatchEvent('drop', { dataTransfer });
    await page.waitForSelector('[data-testid="tensor-slot-1"][data-state="error"]');
    const sentence = 'batch.npy holds numpy <i4 values; it must hold int8 (numpy |i1)';
    expect(await page.getByTestId('tensor-error-1').innerText()).toBe(sentence);
    expect(await page.getByTestId('form-problems').innerText()).toContain(sentence);
    const submit = page.getByTestId('post-submit');
    expect(await submit.isDisabled()).toBe(true);
    // Pressing it anyway does nothing: no wallet request, no upload, no transaction.
    await submit.click({ force: true });
    await page.waitForTimeout(500);
    expect(await page.getByTestId('post-result').innerText()).toBe('');
    await screenshot(page, 'data-job-refused');
    await page.close();
  });

  it('uploads the digits, runs mlp-i8, downloads the checked output and charts its predictions', { timeout: 480_000 }, async () => {
    const page = await openApp(browser, { path: '/post' });
    await connectWallet(page);
    await page.getByTestId('kind-tensor').check();
    await page.getByTestId('tensor-kernel').selectOption('mlp-i8');
    await page.getByTestId('tensor-file-0').setInputFiles(digits('model.safetensors'));
    await page.getByTestId('tensor-file-1').setInputFiles(digits('test_inputs.npy'));
    await page.waitForSelector('[data-testid="tensor-slot-0"][data-state="ready"]');
    await page.waitForSelector('[data-testid="tensor-slot-1"][data-state="ready"]');
    expect(await page.getByTestId('tensor-info-1').innerText()).toContain('int8 (numpy |i1), shape [450, 64], C order');
    await page.getByTestId('replicas').selectOption('1');
    await page.getByTestId('reward').fill('2');
    await page.getByTestId('execution').fill('300');
    await page.getByTestId('ttl').fill('3600');

    // The preview prices it by its multiply-adds: 450 rows of 64 x 64 + 64 x 10.
    const preview = page.getByTestId('cost-preview');
    await preview.getByTestId('preview-work-units').waitFor();
    expect(await preview.getByTestId('preview-work-units').innerText()).toMatch(/2,082/);
    expect(await preview.getByTestId('preview-work').innerText()).toMatch(/450 rows × 4736 multiply-adds per row/);
    await page.waitForFunction(() => !(document.querySelector('[data-testid="post-submit"]') as HTMLButtonElement).disabled);
    await screenshot(page, 'data-job-form');

    await page.getByTestId('post-submit').click();
    const posted = await settledResult(page, 'post-result', 120_000);
    expect(posted.state, posted.text).toBe('ok');
    const jobId = /Job #(\d+) posted/.exec(posted.text)![1]!;
    for (const slot of ['0', '1']) {
      expect(await page.getByTestId(`tensor-progress-${slot}`).getAttribute('data-state')).toBe('done');
    }

    // The worker downloads the inputs, computes, uploads its output; the job settles.
    await page.waitForSelector(`[data-testid="posted-job"][data-job-id="${jobId}"][data-status="completed"]`, { timeout: 300_000 });

    await page.evaluate(() => (location.hash = '#/jobs'));
    const card = page.getByTestId(`job-${jobId}`);
    await page.waitForSelector(`[data-testid="job-${jobId}"][data-status="completed"]`, { timeout: 30_000 });
    await card.getByTestId('download-result').click();
    const downloaded = await settledResult(page, `[data-testid="job-${jobId}"] [data-testid="job-action-result"]`);
    expect(downloaded.state, downloaded.text).toBe('ok');
    expect(downloaded.text).toContain('450 × 10 int32, its SHA-256 and Merkle root checked');

    const output = card.getByTestId('job-output');
    expect(await output.getByTestId('result-shape').getAttribute('data-rows')).toBe('450');
    expect(await output.getByTestId('result-rows').locator('tbody tr').count()).toBe(5);
    const link = output.getByTestId('result-download');
    expect(await link.getAttribute('href')).toMatch(/^blob:/);
    expect(await link.getAttribute('download')).toBe(`job-${jobId}-output.npy`);

    // One bar per class; together they count every row, as the model predicts them.
    const chart = output.getByTestId('prediction-chart');
    expect(await chart.getAttribute('data-total')).toBe('450');
    const counts = await chart
      .locator('[data-testid="prediction-bar"]')
      .evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('data-count'))));
    expect(counts).toHaveLength(10);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(450);
    expect(counts).toEqual(expectedCounts());
    await screenshot(page, 'data-job-result');
    await page.close();
  });
});
