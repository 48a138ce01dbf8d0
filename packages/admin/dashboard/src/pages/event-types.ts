import { api, type EventType } from "../api.js";
import { badge, h } from "../dom.js";

/** The event-type catalogue: what each event means, its payload schema and an example, grouped. */
export async function eventTypesPage(): Promise<HTMLElement> {
  const { data: types } = await api<{ data: EventType[] }>("/event-types");
  const groups = new Map<string, EventType[]>();
  for (const type of types) groups.set(type.group ?? "Other", [...(groups.get(type.group ?? "Other") ?? []), type]);
  return h(
    "section",
    { "aria-labelledby": "page-title" },
    h("h1", { id: "page-title", tabindex: "-1" }, "Event types"),
    types.length === 0 ? h("p", {}, "No event types are documented yet.") : null,
    [...groups.entries()].map(([group, members]) =>
      h(
        "section",
        { class: "catalogue-group", "aria-labelledby": `group-${slug(group)}` },
        h("h2", { id: `group-${slug(group)}` }, group),
        members.map((type) =>
          h(
            "article",
            { class: "event-type", id: `type-${slug(type.name)}`, "aria-labelledby": `title-${slug(type.name)}` },
            h(
              "h3",
              { id: `title-${slug(type.name)}` },
              h("code", {}, type.name),
              " ",
              type.deprecated ? badge("deprecated", "warn") : null,
            ),
            h("p", {}, type.description || "No description."),
            type.example === undefined ? null : codeBlock("Example payload", type.example),
            type.schema === undefined ? null : codeBlock("JSON Schema", type.schema),
          ),
        ),
      ),
    ),
  );
}

function codeBlock(title: string, value: unknown): HTMLElement {
  const text = JSON.stringify(value, null, 2);
  const copy = h("button", { type: "button", class: "secondary small" }, `Copy ${title.toLowerCase()}`);
  copy.addEventListener("click", () => void navigator.clipboard?.writeText(text));
  return h(
    "details",
    { open: title.startsWith("Example") },
    h("summary", {}, title),
    h("pre", { tabindex: "0" }, text),
    copy,
  );
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "-");
}
