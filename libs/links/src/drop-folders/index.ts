export * from './drop-folder.js';
export * from './drop-folder.service.js';
export { DropFoldersRepository, type DropFolderFields, type DropFolderRow } from './drop-folders.repository.js';
