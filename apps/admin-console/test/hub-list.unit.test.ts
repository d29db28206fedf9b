import { describe, expect, it } from "vitest";
import {
  DEFAULT_SORT,
  hasFilters,
  hubListParams,
  hubListVariables,
  nextPage,
  PAGE_SIZE,
  parseHubList,
  previousPage,
  withFilters,
  withSort,
} from "../src/lib/hub-list.ts";
import { localDayEnd, localDayStart } from "../src/lib/time.ts";

const parse = (query: string) => parseHubList(new URLSearchParams(query));

describe("hubs page state ↔ URL", () => {
  it("reads every filter, the order and the cursor, and writes them back unchanged", () => {
    const query =
      "status=Suspended&online=false&model=HUB-2&vendor=Acme&org=org-1&site=lobby&serial=SN-00&from=2025-01-01&to=2025-01-31&sort=serial-asc&after=abc";
    const state = parse(query);
    expect(state).toEqual({
      filters: {
        status: "Suspended",
        online: "false",
        model: "HUB-2",
        vendor: "Acme",
        org: "org-1",
        site: "lobby",
        serial: "SN-00",
        from: "2025-01-01",
        to: "2025-01-31",
      },
      sort: "serial-asc",
      page: { after: "abc" },
    });
    expect(hubListParams(state).toString()).toBe(query);
  });

  it("leaves defaults out of the URL and drops unknown or malformed values", () => {
    const state = parse(
      "status=Lost&online=yes&sort=random&from=2025-02-30&to=yesterday&model=%20%20&extra=1",
    );
    expect(state).toEqual({ filters: {}, sort: DEFAULT_SORT, page: {} });
    expect(hubListParams(state).toString()).toBe("");
  });

  it("keeps a before cursor, and after wins when a hand-edited URL has both", () => {
    expect(parse("before=b1").page).toEqual({ before: "b1" });
    expect(parse("after=a1&before=b1").page).toEqual({ after: "a1" });
  });

  it("starts again at the first page when the filters or the order change", () => {
    const state = nextPage(parse("status=Claimed"), "cursor-2");
    expect(state.page).toEqual({ after: "cursor-2" });
    expect(withFilters(state, { model: "HUB-1" })).toEqual({
      filters: { model: "HUB-1" },
      sort: DEFAULT_SORT,
      page: {},
    });
    expect(withSort(state, "serial-desc").page).toEqual({});
    expect(hubListParams(previousPage(state, "cursor-1")).toString()).toBe("status=Claimed&before=cursor-1");
  });
});

describe("hubs query variables", () => {
  it("pages forward with first/after and backward with last/before", () => {
    expect(hubListVariables(parse(""))).toEqual({
      orderBy: { field: "PROVISIONED_AT", direction: "DESC" },
      first: PAGE_SIZE,
    });
    expect(hubListVariables(parse("after=x&sort=serial-asc"))).toMatchObject({
      orderBy: { field: "SERIAL", direction: "ASC" },
      first: PAGE_SIZE,
      after: "x",
    });
    const back = hubListVariables(parse("before=y"));
    expect(back).toMatchObject({ last: PAGE_SIZE, before: "y" });
    expect(back).not.toHaveProperty("first");
  });

  it("maps the filters to the API's names and the dates to a local [from, next midnight) range", () => {
    const variables = hubListVariables(
      parse("vendor=Acme&org=o&site=s&serial=SN-1&from=2025-03-01&to=2025-03-02"),
    );
    expect(variables.filter).toEqual({
      vendorName: "Acme",
      orgId: "o",
      siteId: "s",
      serialPrefix: "SN-1",
      provisionedAt: { from: localDayStart("2025-03-01"), to: localDayEnd("2025-03-02") },
    });
    expect(localDayEnd("2025-03-02")).toBe(new Date(2025, 2, 3).getTime());
    expect(hubListVariables(parse("to=2025-03-02")).filter).toEqual({
      provisionedAt: { to: new Date(2025, 2, 3).getTime() },
    });
  });
});

describe("presence (online) filter", () => {
  it("reads online=true|false only, keeps it through a round trip, and sends the API a Boolean", () => {
    for (const value of ["true", "false"] as const) {
      const state = parse(`online=${value}`);
      expect(state.filters).toEqual({ online: value });
      expect(hubListParams(state).toString()).toBe(`online=${value}`);
      expect(hubListVariables(state).filter).toEqual({ online: value === "true" });
    }
    for (const junk of ["", "1", "0", "TRUE", "yes", "null"]) {
      expect(parse(`online=${junk}`).filters).toEqual({});
    }
    expect(hubListVariables(parse("status=Claimed&online=true")).filter).toEqual({
      status: "Claimed",
      online: true,
    });
  });

  it("counts as a filter and starts again at the first page when it changes", () => {
    expect(hasFilters(parse("online=false").filters)).toBe(true);
    const state = nextPage(parse("online=true"), "cursor-3");
    expect(hubListParams(state).toString()).toBe("online=true&after=cursor-3");
    expect(hubListParams(withFilters(state, { online: "false" })).toString()).toBe("online=false");
  });
});

describe("local day bounds across daylight-saving changes", () => {
  it("ends a day at the next day's start, also where that day's midnight does not exist", () => {
    const zone = process.env.TZ;
    try {
      // Chile: clocks jump from 00:00 to 01:00 on 2025-09-07 (that midnight does not exist).
      process.env.TZ = "America/Santiago";
      const start = localDayStart("2025-09-07") as number;
      const end = localDayEnd("2025-09-07") as number;
      expect(new Date(start).getHours()).toBe(1);
      expect(new Date(end).getHours()).toBe(0);
      expect(end).toBe(localDayStart("2025-09-08"));
      expect(end - start).toBe(23 * 3600 * 1000);
      // Europe: 2025-10-26 has 25 hours.
      process.env.TZ = "Europe/Berlin";
      expect((localDayEnd("2025-10-26") as number) - (localDayStart("2025-10-26") as number)).toBe(
        25 * 3600 * 1000,
      );
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
