// Email over SMTP (nodemailer). The first line of the message is the subject, so a marketing
// email's subject starts with "(광고)" as Korean law asks.
import nodemailer, { type Transporter } from 'nodemailer';
import { PermanentProviderError, type ChannelProvider, type OutgoingMessage, type ProviderReceipt } from './provider';

export class SmtpProvider implements ChannelProvider {
  readonly name = 'smtp';
  private readonly transport: Transporter;

  constructor(private readonly options: { url: string; from: string }) {
    this.transport = nodemailer.createTransport(options.url);
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
