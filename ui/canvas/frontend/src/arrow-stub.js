// Stands in for apache-arrow, which streamlit-component-lib imports only to pass dataframes
// (ArrowTable). The canvas takes JSON args and sends JSON values, so no dataframe ever reaches
// this code; the stub keeps ~400 kB of Arrow out of the bundle and fails loudly if one does.
function unsupported() {
  throw new Error("layerloom canvas: dataframe (Arrow) arguments are not supported");
}

export const tableFromIPC = unsupported;
export const tableToIPC = unsupported;
export const Type = {};
