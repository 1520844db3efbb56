/** Merchants, employers and billers the generator draws from, per market. Amounts are in GBP-equivalent. */
export interface Merchant {
  name: string;
  mcc: string;
  min: number;
  max: number;
  weight: number;
}

export interface ForeignMerchant extends Merchant {
  currency: string;
}

export interface Biller {
  name: string;
  /** Decimal string, GBP-equivalent. */
  amount: string;
  day: number;
}

export interface Market {
  merchants: Merchant[];
  foreign: ForeignMerchant[];
  employers: string[];
  landlords: string[];
  billers: Biller[];
  clients: string[];
  suppliers: string[];
}

export const UK_MARKET: Market = {
  merchants: [
    { name: 'TESCO STORES 2041', mcc: '5411', min: 8, max: 95, weight: 10 },
    { name: "SAINSBURY'S S/MKTS", mcc: '5411', min: 6, max: 80, weight: 8 },
    { name: 'PRET A MANGER', mcc: '5814', min: 3.2, max: 12, weight: 9 },
    { name: 'COSTA COFFEE', mcc: '5814', min: 2.8, max: 7.5, weight: 7 },
    { name: 'TFL TRAVEL CH', mcc: '4111', min: 2.8, max: 8.9, weight: 9 },
    { name: 'AMAZON.CO.UK', mcc: '5942', min: 6, max: 120, weight: 6 },
    { name: 'DELIVEROO', mcc: '5812', min: 14, max: 42, weight: 4 },
    { name: 'SHELL PETROL', mcc: '5541', min: 30, max: 85, weight: 3 },
    { name: 'BOOTS', mcc: '5912', min: 3, max: 35, weight: 4 },
    { name: 'UBER *TRIP', mcc: '4121', min: 7, max: 32, weight: 3 },
    { name: 'ODEON CINEMAS', mcc: '7832', min: 9, max: 28, weight: 1 },
    { name: 'JOHN LEWIS', mcc: '5311', min: 20, max: 240, weight: 1 },
  ],
  foreign: [
    { name: 'HOTEL LE MARAIS PARIS', mcc: '7011', min: 90, max: 260, weight: 1, currency: 'EUR' },
    { name: 'AMAZON.COM', mcc: '5942', min: 10, max: 90, weight: 2, currency: 'USD' },
    { name: 'RENFE BARCELONA', mcc: '4112', min: 15, max: 70, weight: 1, currency: 'EUR' },
  ],
  employers: ['ACME LTD SALARY', 'NORTHWIND PLC PAYROLL', 'CONTOSO UK LTD'],
  landlords: ['HARBOUR LETTINGS', 'K SMITH RENT'],
  billers: [
    { name: 'OCTOPUS ENERGY', amount: '96', day: 5 },
    { name: 'VODAFONE LTD', amount: '32', day: 12 },
    { name: 'LB HACKNEY CTAX', amount: '141', day: 15 },
    { name: 'NETFLIX.COM', amount: '10.99', day: 19 },
  ],
  clients: ['FABRIKAM LTD', 'TAILSPIN TOYS LTD', 'WINGTIP DESIGN'],
  suppliers: ['OFFICE DEPOT UK', 'WEWORK LONDON', 'XERO UK'],
};

export const BAHRAIN_MARKET: Market = {
  merchants: [
    { name: 'LULU HYPERMARKET SEEF', mcc: '5411', min: 8, max: 110, weight: 10 },
    { name: 'AL JAZIRA SUPERMARKET', mcc: '5411', min: 5, max: 70, weight: 8 },
    { name: 'COSTA COFFEE SEEF', mcc: '5814', min: 3, max: 9, weight: 7 },
    { name: 'TALABAT', mcc: '5812', min: 10, max: 38, weight: 6 },
    { name: 'BAPCO STATION', mcc: '5541', min: 12, max: 40, weight: 4 },
    { name: 'BATELCO', mcc: '4814', min: 20, max: 60, weight: 2 },
    { name: 'CITY CENTRE BAHRAIN', mcc: '5311', min: 15, max: 180, weight: 3 },
    { name: 'CAREEM', mcc: '4121', min: 4, max: 20, weight: 4 },
  ],
  foreign: [
    { name: 'NOON.COM DUBAI', mcc: '5311', min: 20, max: 150, weight: 2, currency: 'AED' },
    { name: 'AMAZON.COM', mcc: '5942', min: 10, max: 90, weight: 1, currency: 'USD' },
  ],
  employers: ['GULF AIR SALARY', 'ALBA PAYROLL', 'BAPCO SALARY'],
  landlords: ['SEEF PROPERTIES', 'AMWAJ RESIDENCE'],
  billers: [
    { name: 'EWA ELECTRICITY', amount: '60', day: 6 },
    { name: 'ZAIN BAHRAIN', amount: '28', day: 14 },
  ],
  clients: ['MANAMA TRADING WLL', 'PEARL LOGISTICS', 'DILMUN CONSULTING'],
  suppliers: ['GULF OFFICE SUPPLIES', 'BAHRAIN COWORK HUB'],
};

export const GERMAN_MARKET: Market = {
  merchants: [
    { name: 'REWE Markt GmbH', mcc: '5411', min: 6, max: 90, weight: 10 },
    { name: 'LIDL DIENSTLEISTUNG', mcc: '5411', min: 5, max: 70, weight: 8 },
    { name: 'dm-drogerie markt', mcc: '5912', min: 3, max: 40, weight: 5 },
    { name: 'DB Vertrieb GmbH', mcc: '4112', min: 4, max: 120, weight: 4 },
    { name: 'Lieferando', mcc: '5812', min: 14, max: 40, weight: 4 },
    { name: 'ARAL Station', mcc: '5541', min: 30, max: 80, weight: 3 },
    { name: 'Backerei Kamps', mcc: '5814', min: 2, max: 9, weight: 7 },
    { name: 'MediaMarkt', mcc: '5732', min: 15, max: 300, weight: 1 },
  ],
  foreign: [
    { name: 'AMAZON.CO.UK', mcc: '5942', min: 10, max: 90, weight: 1, currency: 'GBP' },
    { name: 'APPLE.COM/US', mcc: '5732', min: 1, max: 15, weight: 2, currency: 'USD' },
  ],
  employers: ['Muster AG Gehalt', 'Beispiel GmbH Lohn', 'Nordwind SE Gehalt'],
  landlords: ['Vonovia SE Miete', 'Hausverwaltung Schmidt'],
  billers: [
    { name: 'Stadtwerke Muenchen', amount: '85', day: 3 },
    { name: 'Telekom Deutschland', amount: '39.95', day: 10 },
    { name: 'Spotify AB', amount: '10.99', day: 17 },
  ],
  clients: ['Fabrikam GmbH', 'Contoso Handels KG', 'Alpina Design'],
  suppliers: ['Buerobedarf Meyer', 'Hetzner Online GmbH'],
};

/** GBP→currency factors and a spot rate per foreign currency (units of account currency per 1 unit). */
export const SCALE: Record<string, number> = { GBP: 1, EUR: 1.16, BHD: 0.47 };
export const FX_TO: Record<string, Record<string, number>> = {
  GBP: { EUR: 0.86, USD: 0.79, AED: 0.215 },
  EUR: { GBP: 1.16, USD: 0.92, AED: 0.25 },
  BHD: { USD: 0.376, AED: 0.1024, EUR: 0.41, GBP: 0.476 },
};
