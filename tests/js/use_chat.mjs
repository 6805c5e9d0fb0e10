// Drives the `ai` package's own chat engine against an agentkit endpoint:
// AbstractChat with DefaultChatTransport is what React's useChat runs (minus
// React). Asks a question; every approval request of the reply is answered
// with addToolApprovalResponse, and sendAutomaticallyWhen
// (lastAssistantMessageIsCompleteWithApprovalResponses) sends the answers
// back, as a page using useChat does.
// Prints {requests (each body as sent), messages, status, errors} as JSON.
// Usage: node use_chat.mjs <url> <question> <approve|deny> [reason]
import {
  AbstractChat,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
} from 'ai';

const [url, question, decision, reason] = process.argv.slice(2);

// The state a UI framework keeps (as @ai-sdk/react's, without rendering).
class PlainState {
  status = 'ready';
  error = undefined;
  messages = [];
  pushMessage = (message) => {
    this.messages = [...this.messages, message];
  };
  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
  };
  replaceMessage = (index, message) => {
    this.messages = [...this.messages.slice(0, index), message, ...this.messages.slice(index + 1)];
  };
  snapshot = (value) => structuredClone(value);
}

class Chat extends AbstractChat {
  constructor(init) {
    super({ ...init, state: new PlainState() });
  }
}

const requests = [];
const errors = [];
let counter = 0;
const chat = new Chat({
  id: 'chat-1',
  generateId: () => `msg-${++counter}`,
  transport: new DefaultChatTransport({
    api: url,
    fetch: async (input, init) => {
      requests.push(JSON.parse(init.body));
      return fetch(input, init);
    },
  }),
  sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
  onError: (error) => errors.push(String(error && error.message ? error.message : error)),
});

const settled = async (requestCount) => {
  const deadline = Date.now() + 30_000;
  while (!(requests.length >= requestCount && ['ready', 'error'].includes(chat.status))) {
    if (Date.now() > deadline) throw new Error(`timed out in status ${chat.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

await chat.sendMessage({ text: question });
await settled(1);
const asked = chat.messages
  .at(-1)
  .parts.filter((part) => part.state === 'approval-requested')
  .map((part) => part.approval.id);
for (const id of asked) {
  await chat.addToolApprovalResponse({
    id,
    approved: decision === 'approve',
    ...(reason ? { reason } : {}),
  });
}
if (asked.length > 0) await settled(2);

console.log(JSON.stringify({ requests, messages: chat.messages, status: chat.status, errors }));
