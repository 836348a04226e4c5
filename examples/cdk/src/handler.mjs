// The example function: what it does does not matter to Coalmine, only that each deploy publishes a version.
export const handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ ok: true, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, path: event?.rawPath ?? null }),
});
