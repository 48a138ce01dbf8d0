import type { EventType } from "./api.js";
import { h } from "./dom.js";

/**
 * Picks an endpoint's event types from the catalogue (checkboxes, grouped) plus free globs ("invoice.*"). The
 * selection is read back with `selectedTypes(form)`.
 */
export function typePicker(catalogue: readonly EventType[], selected: readonly string[]): HTMLElement {
  const known = new Set(catalogue.map((type) => type.name));
  const groups = new Map<string, EventType[]>();
  for (const type of catalogue) {
    const group = type.group ?? "Other";
    groups.set(group, [...(groups.get(group) ?? []), type]);
  }
  const boxes = [...groups.entries()].map(([group, types]) =>
    h(
      "fieldset",
      { class: "type-group" },
      h("legend", {}, group),
      types.map((type) =>
        h(
          "label",
          { class: "check" },
          h("input", {
            type: "checkbox",
            name: "type",
            value: type.name,
            checked: selected.includes(type.name),
          }),
          h("code", {}, type.name),
          type.deprecated ? h("span", { class: "badge badge-warn" }, "deprecated") : null,
          type.description ? h("span", { class: "hint" }, ` ${type.description}`) : null,
        ),
      ),
    ),
  );
  const globs = selected.filter((type) => !known.has(type));
  return h(
    "div",
    { class: "type-picker" },
    h("p", { class: "hint", id: "types-hint" }, "Pick the events this endpoint receives."),
    boxes,
    h(
      "label",
      {},
      "Other types or globs (comma separated, e.g. invoice.* or *)",
      h("input", { name: "globs", value: globs.join(", "), "aria-describedby": "types-hint" }),
    ),
  );
}

export function selectedTypes(form: HTMLFormElement): string[] {
  const data = new FormData(form);
  const picked = data.getAll("type").map(String);
  const globs = String(data.get("globs") ?? "")
    .split(",")
    .map((type) => type.trim())
    .filter(Boolean);
  return [...new Set([...picked, ...globs])];
}
