// The endpoint a request went to, with its ids taken out, for counting requests per endpoint:
// `DELETE /api/v1/Account/MA_X/ip-acl/3f2…` → `DELETE /Account/{auth_id}/ip-acl/{id}`.

export function routeOf(method: string, path: string): string {
  const segments = path
    .split("?")[0]
    .replace(/^\/api\/v1/, "")
    .split("/")
    .map((seg, i) => {
      if (/^(MA|SA)_[A-Z0-9]+$/.test(seg)) return "{auth_id}";
      if (/^(%2B|\+)\d+$/i.test(seg)) return "{e164}";
      if (i > 0 && /\d/.test(seg) && /^[0-9a-f-]{8,}$/i.test(seg)) return "{id}";
      return seg;
    });
  return `${method} ${segments.join("/")}`;
}
