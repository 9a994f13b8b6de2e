/** Test helper: writes an 8-bit grey image as a 12-bit MONOCHROME1 CR DICOM file (dcmjs), with patient and study ids. */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Dcmjs {
  data: {
    DicomDict: new (meta: object) => { dict: object; write(): ArrayBuffer };
    DicomMetaDictionary: { denaturalizeDataset(ds: object): object };
  };
  log?: { setLevel?(level: string): void };
}
const dcmjs = createRequire(import.meta.url)('dcmjs') as Dcmjs;
dcmjs.log?.setLevel?.('error');

/**
 * Stored value = (255 - grey) * 16: MONOCHROME1 (bright = low), so a reader that inverts it and applies
 * the window 2040/4080 gets the grey image back.
 */
export function writeCxrDicom(
  path: string,
  grey: Uint8Array,
  width: number,
  height: number,
  ids: { patientId: string; studyInstanceUid: string },
): void {
  if (grey.length !== width * height) {
    throw new RangeError(
      `writeCxrDicom: expected ${width * height} grey bytes (${width}x${height}, one channel), got ${grey.length}`,
    );
  }
  const bytes = new Uint8Array(width * height * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < width * height; i++) view.setUint16(2 * i, (255 - (grey[i] as number)) * 16, true);
  const uid = `${ids.studyInstanceUid}.1`;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.1',
    MediaStorageSOPInstanceUID: uid,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '1.2.826.0.1.3680043.8.498.1',
  };
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset({
    SOPClassUID: meta.MediaStorageSOPClassUID,
    SOPInstanceUID: uid,
    StudyInstanceUID: ids.studyInstanceUid,
    PatientID: ids.patientId,
    Modality: 'CR',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME1',
    Rows: height,
    Columns: width,
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    WindowCenter: 2040,
    WindowWidth: 4080,
    PixelData: [bytes.buffer],
    _vrMap: { PixelData: 'OW' },
  });
  writeFileSync(path, Buffer.from(dict.write()));
}
