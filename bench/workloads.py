"""The benchmark workloads (issue 8). `path` is formatted with the parameters
bench/probe.py finds in the data: {deep_page}, {reference}. The API list asks
for 25 rows, the page size of the public list and of the textbook baseline,
so the three compare like with like (the API's default is 50).

Anonymous public pages and API reads are cached per record version
(tracker/pagecache.py). Each of them is measured twice:
- `refresh: True` (the plain name): every request renders the page again and
  stores it, as the first reader after a change does (the benchmark's
  settings honour an `X-Page-Cache-Refresh: 1` header; production ignores it);
- `<name>_cached`: every request after the first is served from the cache,
  as a page that many read between two changes is."""

WORKLOADS = {
    "list_page1": {"path": "/commitments/?status=in_progress", "kind": "html"},
    "list_deep": {"path": "/commitments/?status=in_progress&page={deep_page}", "kind": "html"},
    "search_common": {"path": "/commitments/?q=forces", "kind": "html"},
    "search_rare": {"path": "/commitments/?q=transhumance", "kind": "html"},
    "search_absent": {"path": "/commitments/?q=zyxwvutsrq", "kind": "html"},
    "commitment_page": {"path": "/commitments/{reference}/", "kind": "html"},
    # The dashboard is the home page (figures and charts), cached under the
    # record version (tracker/dashboard.py). Three workloads:
    # - dashboard: cached (every request after the first), under wrk;
    # - dashboard_cold: the record token deleted from Redis before each
    #   request, so each one recomputes the figures; one request at a time
    #   (a cold request under 8 connections would make every other one cold
    #   too, or warm them: wrk cannot say which), `--cold-requests` times;
    # - dashboard_304: conditional GET (If-None-Match with the page's ETag,
    #   CSRF cookie sent), answered 304 without a body, under wrk.
    "dashboard": {"path": "/", "kind": "html"},
    "dashboard_cold": {"path": "/", "kind": "html", "cold": True},
    "dashboard_304": {"path": "/", "kind": "html", "conditional": True},
    "api_list": {"path": "/api/v1/commitments/?status=in_progress&page_size=25", "kind": "json"},
    "api_detail": {"path": "/api/v1/commitments/{reference}/", "kind": "json"},
    "textbook_drf_list": {"path": "/bench/textbook/commitments/?current_status=in_progress", "kind": "json"},
    "csv_export": {"path": "/commitments/export.csv", "kind": "csv", "single": True},
    "admin_changelist": {"path": "/admin/tracker/commitment/", "kind": "html", "staff": True},
    "publish": {"in_process": True},
}

RENDERED = (
    "list_page1",
    "list_deep",
    "search_common",
    "search_rare",
    "search_absent",
    "commitment_page",
    "api_list",
    "api_detail",
)
for _name in RENDERED:
    WORKLOADS[_name]["refresh"] = True
    WORKLOADS[f"{_name}_cached"] = {k: v for k, v in WORKLOADS[_name].items() if k != "refresh"}
REFRESH_HEADERS = {"X-Page-Cache-Refresh": "1"}
