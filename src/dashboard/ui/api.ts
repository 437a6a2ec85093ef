/** The dashboard's calls to its JSON API on the admin server (same origin, no CDN, nothing else fetched). */

const TOKEN_KEY = 'switchyard-dashboard-token';

export function storedToken(): string {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

export function storeToken(token: string): void {
  if (token === '') localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

/** A non-2xx answer, with the API's error message and whatever else the body held (diagnostics). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

function authorization(): Record<string, string> {
  const token = storedToken();
  return token === '' ? {} : { authorization: `Bearer ${token}` };
}

async function parse<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = body['error'] as { message?: string } | undefined;
    throw new ApiError(response.status, `${response.status}: ${error?.message ?? response.statusText}`, body);
  }
  return body as T;
}

export async function getJson<T>(path: string): Promise<T> {
  return parse<T>(await fetch(path, { headers: authorization() }));
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return parse<T>(await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...authorization() }, body: JSON.stringify(body) }));
}

/** POSTs and returns the raw response (for streamed answers). */
export async function postStream(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...authorization() }, body: JSON.stringify(body), signal });
}

export const API = '/dashboard/api';
