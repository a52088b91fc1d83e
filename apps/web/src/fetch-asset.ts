/**
 * fetch() for the files the demo ships (samples, ground truth, weights), with errors that name the file:
 * a bare "Failed to fetch" says nothing about what was missing or why.
 */
export async function fetchAsset(url: string, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`cannot fetch ${what} (${url}): ${(error as Error).message}. The network is cut and the offline copy ` +
      'is missing: reload the page once online to cache the demo again', { cause: error });
  }
  if (!response.ok) throw new Error(`cannot fetch ${what} (${url}): HTTP ${response.status} ${response.statusText}`);
  return response;
}
