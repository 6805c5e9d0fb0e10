// Reads a UI message stream from an agentkit endpoint with the AI SDK's own
// parser (schema-validated chunks, then readUIMessageStream, as useChat does)
// and prints {status, header, chunks, message} as JSON. With a message, the
// stream continues it (as useChat continues a reply after approvals).
// Usage: node parse_ui_stream.mjs <ai|ai-v5> <url> <json-body> [json-message]
const [packageName, url, body, continued] = process.argv.slice(2);
const ai = await import(packageName);
// Each `ai` version with the provider-utils it was built with.
const utils = await import(
  packageName === 'ai'
    ? '@ai-sdk/provider-utils'
    : new URL(`./node_modules/${packageName}/node_modules/@ai-sdk/provider-utils/dist/index.mjs`, import.meta.url).href
);

const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
});
const chunks = [];
const parsed = utils
  .parseJsonEventStream({ stream: response.body, schema: ai.uiMessageChunkSchema })
  .pipeThrough(
    new TransformStream({
      transform(part, controller) {
        if (!part.success) throw part.error;
        chunks.push(part.value);
        controller.enqueue(part.value);
      },
    }),
  );
let message = null;
let error = null;
try {
  const options = { stream: parsed, terminateOnError: true };
  if (continued) options.message = JSON.parse(continued);
  for await (const snapshot of ai.readUIMessageStream(options)) {
    message = snapshot;
  }
} catch (thrown) {
  // An `error` chunk ends the stream with an exception, as in useChat.
  error = String(thrown && thrown.message ? thrown.message : thrown);
}
console.log(
  JSON.stringify({
    status: response.status,
    header: response.headers.get('x-vercel-ai-ui-message-stream'),
    chunks,
    message,
    error,
  }),
);
