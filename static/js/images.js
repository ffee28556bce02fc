// @ts-check
// Images the API serves behind auth: try a plain <img> first (cookie or public URL), then fetch with the bearer
// token into a blob URL, so covers and illustrations work whichever way the server protects them.
import { tokens } from "./api.js";

const blobCache = new Map();

async function fetchBlobUrl(url) {
  if (!blobCache.has(url)) {
    const pending = fetch(url, { headers: tokens.access ? { Authorization: `Bearer ${tokens.access}` } : {} }).then(async (response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return URL.createObjectURL(await response.blob());
    });
    blobCache.set(url, pending);
    pending.catch(() => blobCache.delete(url));
  }
  return blobCache.get(url);
}

export function authedImage(img, url, onFail) {
  let triedBlob = false;
  img.addEventListener("error", async () => {
    if (triedBlob) {
      if (onFail) onFail();
      return;
    }
    triedBlob = true;
    try {
      img.src = await fetchBlobUrl(url);
    } catch {
      if (onFail) onFail();
    }
  });
  img.src = url;
  return img;
}
