// Email over SMTP (nodemailer). The first line of the message is the subject, so a marketing
// email's subject starts with "(광고)" as Korean law asks.
import nodemailer, { type Transporter } from 'nodemailer';
import { PermanentProviderError, type ChannelProvider, type OutgoingMessage, type ProviderReceipt } from './provider';

export interface SmtpOptions {
  /** smtp://user:pass@host:port or smtps://… */
  url: string;
  from: string;
  /** Milliseconds to open the TCP (or TLS) connection, DNS lookup included. */
  connectionTimeout?: number;
  /** Milliseconds from connecting to the server's 220 greeting (cut short by what is left of connectionTimeout). */
  greetingTimeout?: number;
  /** Milliseconds the connection may stay silent at any point of the exchange. */
  socketTimeout?: number;
}

export class SmtpProvider implements ChannelProvider {
  readonly name = 'smtp';
  private readonly transport: Transporter;

  constructor(private readonly options: SmtpOptions) {
    // nodemailer's own defaults wait 2 min to connect, 30 s for the greeting and 10 min on a
    // silent socket. The send activity's startToCloseTimeout is 30 s, after which Temporal
    // starts a retry: an attempt stuck on a server that stopped answering must fail by itself
    // (a retryable error) before then, never overlap that retry and deliver a second copy.
    const { url, connectionTimeout = 10_000, greetingTimeout = 10_000, socketTimeout = 20_000 } = options;
    this.transport = nodemailer.createTransport({ url, connectionTimeout, greetingTimeout, socketTimeout });
  }

  async send(message: OutgoingMessage): Promise<ProviderReceipt> {
    const [subject, ...rest] = message.content.split('\n');
    try {
      const info = (await this.transport.sendMail({
        from: this.options.from,
        to: message.recipient,
        subject,
        text: rest.join('\n').trim() || subject,
        // The same Message-ID on a retry lets receiving servers drop the duplicate.
        messageId: `<${message.idempotencyKey.replace(/[^\w.-]/g, '_')}@crm-journeys>`,
        headers: { 'X-CRM-Idempotency-Key': message.idempotencyKey },
      })) as { messageId: string };
      return { provider: this.name, providerMessageId: info.messageId };
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      // 5xx: the server refuses this message or recipient for good.
      if (code !== undefined && code >= 500) throw new PermanentProviderError(`${code} ${(error as Error).message}`);
      throw error;
    }
  }
}
