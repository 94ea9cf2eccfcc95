/**
 * The orders example for normalization: a flat table of order lines in first normal form, with
 * the functional dependencies the business states, and the decompositions into 2NF and 3NF.
 * Also the textbook's address relation, which is in 3NF but not in BCNF.
 */

import type { Random } from "../shared/random.js";
import { type Dependency, fd } from "./normal-forms.js";

export const ORDER_COLUMNS = [
  "order_id",
  "order_date",
  "customer_id",
  "customer_name",
  "customer_city",
  "product_id",
  "product_name",
  "unit_price",
  "quantity",
] as const;

export type OrderLine = Record<(typeof ORDER_COLUMNS)[number], string | number>;

export const ORDER_FDS: Dependency[] = [
  fd("order_id", "order_date, customer_id"),
  fd("customer_id", "customer_name, customer_city"),
  fd("product_id", "product_name, unit_price"),
  fd("order_id, product_id", "quantity"),
];

export const SECOND_NORMAL_FORM: Record<string, string[]> = {
  orders_2nf: ["order_id", "order_date", "customer_id", "customer_name", "customer_city"],
  products: ["product_id", "product_name", "unit_price"],
  order_lines: ["order_id", "product_id", "quantity"],
};

export const THIRD_NORMAL_FORM: Record<string, string[]> = {
  customers: ["customer_id", "customer_name", "customer_city"],
  orders: ["order_id", "order_date", "customer_id"],
  products: ["product_id", "product_name", "unit_price"],
  order_lines: ["order_id", "product_id", "quantity"],
};

/** A decomposition that looks plausible and is wrong: the two halves share only `quantity`. */
export const LOSSY_DECOMPOSITION: Record<string, string[]> = {
  order_side: [
    "order_id",
    "order_date",
    "customer_id",
    "customer_name",
    "customer_city",
    "quantity",
  ],
  product_side: ["product_id", "product_name", "unit_price", "quantity"],
};

export const FIRST_ORDER_ID = 100;
/** The customer who orders once, in the last order: the delete anomaly forgets them. */
export const ONE_TIME_CUSTOMER_ID = 5;

const CUSTOMERS = [
  { id: 1, name: "Ada", city: "London" },
  { id: 2, name: "Grace", city: "Arlington" },
  { id: 3, name: "Edsger", city: "Austin" },
  { id: 4, name: "Barbara", city: "Boston" },
];
const PRODUCTS = [
  { id: 10, name: "keyboard", price: 49 },
  { id: 11, name: "monitor", price: 199 },
  { id: 12, name: "mouse", price: 19 },
  { id: 13, name: "desk lamp", price: 35 },
  { id: 14, name: "headset", price: 79 },
];

/**
 * Order lines that satisfy ORDER_FDS: `orders` orders from the regular customers, each with one to
 * three distinct products, plus one order from a customer who has ordered only once (the delete
 * anomaly needs one). The first order has two lines at least, so its customer has two rows and the
 * update anomaly can always be shown; the one-time customer buys a single product that the first
 * order does not hold, so a new line of the first order can restate that product's price: each
 * anomaly happens however few orders there are, at every seed.
 */
export function generateOrderLines(random: Random, orders: number): OrderLine[] {
  const lines: OrderLine[] = [];
  const once = { id: ONE_TIME_CUSTOMER_ID, name: "Radia", city: "Seattle" };
  let firstOrder: readonly (typeof PRODUCTS)[number][] = [];
  for (let o = 0; o <= orders; o++) {
    const isOnce = o === orders;
    const customer = isOnce ? once : random.pick(CUSTOMERS);
    const orderId = FIRST_ORDER_ID + o;
    const date = `2026-11-${String(1 + random.int(0, 26)).padStart(2, "0")}`;
    const products = isOnce
      ? [random.pick(PRODUCTS.filter((p) => !firstOrder.includes(p)))]
      : random.shuffle(PRODUCTS).slice(0, random.int(o === 0 ? 2 : 1, 3));
    if (o === 0) firstOrder = products;
    for (const product of products) {
      lines.push({
        order_id: orderId,
        order_date: date,
        customer_id: customer.id,
        customer_name: customer.name,
        customer_city: customer.city,
        product_id: product.id,
        product_name: product.name,
        unit_price: product.price,
        quantity: random.int(1, 5),
      });
    }
  }
  return lines;
}

/** The address relation: street and city determine the zip code, and a zip code lies in one city. */
export const ADDRESS_COLUMNS = ["street", "city", "zip"];
export const ADDRESS_FDS: Dependency[] = [fd("street, city", "zip"), fd("zip", "city")];
export const ADDRESS_BCNF: Record<string, string[]> = {
  zip_cities: ["zip", "city"],
  street_zips: ["street", "zip"],
};
