/**
 * The demo's customers: realistic raw personal data in the shapes advertisers send (Japanese and US
 * formats). The dashboard test sends the same people, so it imports them from here.
 */

export function japaneseCustomer(index: number) {
  return {
    email: ` Taro.Yamada${index}@Example.co.jp `, phone: '090-1234-5678', firstName: '太郎', lastName: '山田',
    city: '千代田区', state: '東京都', zip: '100-0001', country: 'JP', externalId: `jp-user-${index}`,
  };
}

export function usCustomer(index: number) {
  return {
    email: `jane.doe+shop${index}@gmail.com`, phone: '(650) 555-1212', firstName: 'Jane', lastName: "O'Connor",
    city: 'San Francisco', state: 'California', zip: '94105-1234', country: 'US', streetAddress: '1 Market St',
  };
}
