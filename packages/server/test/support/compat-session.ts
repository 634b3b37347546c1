import { rawRequest, type RawResponse } from './http-client.js';

/**
 * What the original Python client does on the wire (reference §8.1, §7.2, §7.5): a cookie
 * jar, `Referer: <server>` on every request, `X-CSRFToken: <csrftoken cookie>` on
 * POST/PUT/DELETE, form-encoded login after `GET /logout/`, raw bodies without a
 * Content-Type, `POST /blob/blob/<hash>/` with an empty form before uploading.
 */
export class CompatSession {
  readonly cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  private remember(response: RawResponse): void {
    const setCookies = response.headers['set-cookie'] ?? [];
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const index = pair?.indexOf('=') ?? -1;
      if (!pair || index < 0) continue;
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const isExpired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (isExpired || value === '""') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return {
      Cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    };
  }

  async send(
    method: string,
    path: string,
    body?: Buffer | string,
    headers: Record<string, string> = {},
  ): Promise<RawResponse> {
    const unsafe = method !== 'GET' && method !== 'HEAD';
    const response = await rawRequest({
      method,
      url: `${this.baseUrl}${path}`,
      headers: {
        'User-Agent': 'python-requests/2.31.0',
        'Accept-Encoding': 'gzip, deflate',
        Accept: '*/*',
        Referer: `${this.baseUrl}/`,
        ...(unsafe ? { 'X-CSRFToken': this.cookies.get('csrftoken') ?? '' } : {}),
        ...this.cookieHeader(),
        ...headers,
      },
      ...(body === undefined ? {} : { body }),
    });
    this.remember(response);
    return response;
  }

  get(path: string): Promise<RawResponse> {
    return this.send('GET', path);
  }
  head(path: string): Promise<RawResponse> {
    return this.send('HEAD', path);
  }
  post(path: string, body?: Buffer | string): Promise<RawResponse> {
    return this.send('POST', path, body ?? Buffer.alloc(0));
  }
  put(path: string, body?: Buffer | string): Promise<RawResponse> {
    return this.send('PUT', path, body ?? Buffer.alloc(0));
  }
  delete(path: string): Promise<RawResponse> {
    return this.send('DELETE', path);
  }

  /** The client's login: `GET /logout/` (clears the user, gets the CSRF cookie), then the form. */
  async login(username: string, password: string): Promise<RawResponse> {
    await this.get('/logout/');
    return this.send('POST', '/login/', new URLSearchParams({ username, password }).toString(), {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
  }
}
